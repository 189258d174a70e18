import AudioCodec
import AudioIO
import Foundation
import Prompt

/// New voices written into a voice folder, in the layout `VoiceLibrary` reads: a clip as `NAME.wav` with
/// its transcript `NAME.txt`, a description as an entry of `profile.yaml`'s `profiles:` map. Nothing
/// already there is replaced; every file is written atomically.
extension VoiceLibrary {
    /// A clip name made of `text` (a speaker's name, a file's) that no clip in the folder has yet:
    /// lowercased, other characters as `_`, `_2`, `_3`, ... added when taken.
    public func freeClipName(from text: String) -> String {
        freeName(from: text) { clipFilesExist($0) }
    }

    /// A profile name made of `text` that `profile.yaml` does not hold yet.
    public func freeProfileName(from text: String) -> String {
        freeName(from: text) { profile(named: $0) != nil }
    }

    /// The clip's length in seconds; nil when its audio cannot be read.
    public func clipSeconds(_ name: String) -> Double? {
        (try? WAVFile.read(clipAudio(name)))?.duration
    }

    /// A clip just added: its length and sample rate, and what to tell the writer of them.
    public struct AddedClip: Equatable, Sendable {
        public var seconds: Double
        public var sampleRate: Int
        /// Why the clip may serve poorly (`advice(seconds:sampleRate:)`), or nil.
        public var advice: String? { VoiceLibrary.advice(seconds: seconds, sampleRate: sampleRate) }
    }

    /// Copies the WAV file at `audio` into the folder as `NAME.wav`, unchanged (an MP3 file as the WAV of its
    /// audio), beside `NAME.txt` holding `transcript` on one line. Returns the clip's length and rate (tell the
    /// writer its `advice`). Silent audio, or under half a second of it, is refused.
    @discardableResult
    public func addClip(named name: String, audio: URL, transcript: String) throws -> AddedClip {
        try checkNewClip(name, transcript: transcript)
        if let size = (try? FileManager.default.attributesOfItem(atPath: audio.path))?[.size] as? Int, size > WAVFile.maximumFileSize {
            throw StudioError("\(audio.path): \(size) bytes, far more than a voice clip (a few seconds)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: audio)
        } catch {
            let exists = FileManager.default.fileExists(atPath: audio.path)
            throw StudioError("\(audio.path): \(exists ? "cannot read the file" : "file not found")")
        }
        let decoded = try AudioFile.decode(data, file: audio.path)
        try Self.checkSound(decoded.samples, sampleRate: decoded.sampleRate, source: audio.path)
        // A WAV file is kept byte for byte; an MP3 as the 16-bit WAV of its audio (the voice folder holds WAVs).
        let wav = AudioFile.isMP3(data) ? WAVFile.encode(decoded.samples, sampleRate: decoded.sampleRate, format: .pcm16) : data
        try writeClip(named: name, wav: wav, transcript: transcript)
        return AddedClip(seconds: decoded.duration, sampleRate: decoded.sampleRate)
    }

    /// Writes a recording (samples at `sampleRate`, -1...1) as `NAME.wav` (16-bit PCM) with `NAME.txt`.
    @discardableResult
    public func addClip(named name: String, recording samples: [Float], sampleRate: Int, transcript: String) throws -> AddedClip {
        try checkNewClip(name, transcript: transcript)
        try Self.checkSound(samples, sampleRate: sampleRate, source: "the recording")
        try writeClip(named: name, wav: WAVFile.encode(samples, sampleRate: sampleRate, format: .pcm16), transcript: transcript)
        return AddedClip(seconds: Double(samples.count) / Double(sampleRate), sampleRate: sampleRate)
    }

    /// Why `name` cannot name a new clip here (not a name, taken, half there); nil when it can. Asked as the name
    /// is typed, so that what was typed before it (a transcript, a file) is not lost to a taken name.
    public func problem(withNewClipName name: String) -> String? {
        do { try checkNewClipName(name) } catch { return "\(error)" }
        return nil
    }

    /// Why `name` cannot name a new profile here; nil when it can.
    public func problem(withNewProfileName name: String) -> String? {
        do {
            try checkNew(name)
            guard profile(named: name) == nil else { throw StudioError("\(profileFile.path): a profile '\(name)' is already there") }
        } catch {
            return "\(error)"
        }
        return nil
    }

    private func checkNewClip(_ name: String, transcript: String) throws {
        try checkNewClipName(name)
        guard !Self.oneLine(transcript).isEmpty else { throw StudioError("a clip voice needs the transcript of what is said in it") }
        // It goes into every prompt with the voice, where the model would act on such a token.
        if let problem = ControlTokens.problem(in: transcript, "the transcript") { throw StudioError(problem) }
    }

    private func checkNewClipName(_ name: String) throws {
        try checkNew(name)
        if let problem = VoiceSlot.clipNameProblem(name) { throw StudioError(problem) }
        let there = clipFiles(name)
        let audio = there.first { $0.lowercased().hasSuffix(".wav") }, text = there.first { $0.lowercased().hasSuffix(".txt") }
        // Half a clip (an add cut short, a file left by hand) is named, not called a clip: the writer decides
        // what it was meant to be.
        if let audio, text == nil {
            throw StudioError("\(folder.appendingPathComponent(audio).path) is there without \(name).txt: remove it, "
                + "or write its transcript in \(name).txt beside it")
        } else if let text, audio == nil {
            throw StudioError("\(folder.appendingPathComponent(text).path) is there without \(name).wav: remove it, or add the WAV beside it")
        } else if !there.isEmpty {
            throw StudioError("\(folder.appendingPathComponent(name).path): a voice clip '\(name)' is already there")
        }
    }

    /// Clips shorter than this are added with a warning (`lengthAdvice`): the model has little of the voice to
    /// copy, and 5 to 20 s works best.
    public static let shortClipSeconds = 3.0
    /// Clips longer than this are added with a warning: every prompt that uses one is long.
    public static let longClipSeconds = 30.0
    /// A clip whose loudest 20 ms is quieter than this (dBFS) holds no sound: digital silence, or hiss.
    public static let silentClipLevel = -60.0

    /// What to tell the writer about a clip of `seconds` that was added, or nil when its length is fine.
    public static func lengthAdvice(seconds: Double) -> String? {
        if seconds < shortClipSeconds {
            return "under \(Int(shortClipSeconds)) s: the model has little of the voice to copy; 5 to 20 s works best"
        }
        if seconds > longClipSeconds { return "over \(Int(longClipSeconds)) s: every prompt that uses it is long; 5 to 20 s is plenty" }
        return nil
    }

    /// Clips recorded below this rate (Hz) are added with a warning (`sampleRateAdvice`).
    public static let lowSampleRate = 16_000

    /// What to tell the writer of a clip recorded at `rate`, or nil when it is fine: below `lowSampleRate` (a phone
    /// call's 8 kHz) the clip holds none of the voice's upper range, and the model copies the muffled sound too.
    public static func sampleRateAdvice(_ rate: Int) -> String? {
        guard rate < lowSampleRate else { return nil }
        return "recorded at \(rate) Hz: the voice is copied as muffled as it sounds; a recording at 16 kHz or more serves better"
    }

    /// Everything to tell the writer of a clip of `seconds` at `sampleRate`, or nil.
    public static func advice(seconds: Double, sampleRate: Int) -> String? {
        let said = [lengthAdvice(seconds: seconds), sampleRateAdvice(sampleRate)].compactMap { $0 }
        return said.isEmpty ? nil : said.joined(separator: "; ")
    }

    /// Refuses audio that cannot be a voice: a blip, or silence (which the model would copy as silence).
    static func checkSound(_ samples: [Float], sampleRate: Int, source: String) throws {
        let duration = sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0
        guard duration >= 0.5 else {
            throw StudioError("\(source): holds \(String(format: "%.2f", duration)) s of audio; a voice clip needs a few seconds")
        }
        // What generation would refuse (`VoiceCodeCache.longestClip`) is refused as it is added.
        guard duration <= VoiceCodeCache.longestClip else {
            throw StudioError("\(source): \(Int(duration)) s of audio; a voice clip over \(Int(VoiceCodeCache.longestClip)) s is not used "
                + "(every prompt would carry it); cut it to 5 to 20 s of one person speaking")
        }
        guard Silence.soundingSpan(samples, sampleRate: sampleRate, floor: -40, quietest: silentClipLevel) != nil else {
            throw StudioError("\(source): holds no sound (nothing louder than \(Int(silentClipLevel)) dBFS); a voice clip is someone speaking")
        }
    }

    private func writeClip(named name: String, wav data: Data, transcript: String) throws {
        try createFolder()
        // The transcript first: a clip is listed only once its audio is there too, so an interrupted add
        // leaves nothing half made in the voice list.
        let transcriptURL = folder.appendingPathComponent("\(name).txt")
        try AtomicFile.write(Data((Self.oneLine(transcript) + "\n").utf8), to: transcriptURL)
        do {
            try AtomicFile.write(data, to: clipAudio(name))
        } catch {
            try? FileManager.default.removeItem(at: transcriptURL)
            throw error
        }
    }

    /// Adds `description` to `profile.yaml` as `NAME`, after the profiles already there, leaving the rest of
    /// the file (comments, layout) as it was; creates the file when there is none.
    public func addProfile(named name: String, description: String) throws {
        if let problem = problem(withNewProfileName: name) { throw StudioError(problem) }
        let text = Self.oneLine(description)
        guard !text.isEmpty else { throw StudioError("a profile voice needs a description of how it sounds") }
        if let problem = ControlTokens.problem(in: text, "the description") { throw StudioError(problem) }
        var existing: String?
        var expected: [Profile] = []
        if FileManager.default.fileExists(atPath: profileFile.path) {
            guard let read = try? String(contentsOf: profileFile, encoding: .utf8) else {
                throw StudioError("\(profileFile.path): cannot read the file (or it is not UTF-8 text)")
            }
            if !read.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                // A file the library could not read is not edited (the writer's text in it could be
                // mangled): they fix it first.
                do {
                    expected = try VoiceLibrary.parseProfiles(read)
                } catch {
                    throw StudioError("\(profileFile.path): \(error); fix it before adding a profile")
                }
                existing = read
            }
        }
        let updated = ProfileFileText.adding(name: name, description: text, to: existing)
        // What the new text reads as must be the old profiles and the new one, or it is not written.
        expected.append(Profile(name: name, description: text))
        guard (try? VoiceLibrary.parseProfiles(updated)) == expected else {
            throw StudioError("\(profileFile.path): its layout does not let '\(name)' be added without rewriting it; add it by hand")
        }
        try createFolder()
        try AtomicFile.write(Data(updated.utf8), to: profileFile)
    }

    public var profileFile: URL { folder.appendingPathComponent("profile.yaml") }

    /// The longest name a new voice may have: far more than a name needs, and its files (written through a
    /// temporary `.NAME.wav.tmp-PID-N`) stay within the file system's 255 bytes. A letter outside ASCII takes
    /// 2 to 4 bytes, so such names are held to 200 bytes too.
    public static let maximumNameLength = 100

    private func checkNew(_ name: String) throws {
        // Before the characters: a long name is shown cut, and the file system's own refusal says less.
        if name.count > Self.maximumNameLength || name.utf8.count > 200 {
            throw StudioError("'\(name.prefix(20))…' (\(name.count) characters) cannot name a voice: "
                + "at most \(Self.maximumNameLength) characters" + (name.count > Self.maximumNameLength ? "" : ", fewer outside A-Z"))
        }
        guard VoiceSlot.isValidName(name) else {
            throw StudioError("'\(name)' cannot name a voice: use letters, digits, _, - and . (not first)")
        }
    }

    /// The clip's files that are there, sorted, in any case of their extension (`NAME.WAV` would stand beside
    /// a new `NAME.wav` on a case-insensitive disk).
    private func clipFiles(_ name: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { file in
            let lower = file.lowercased()
            return (lower.hasSuffix(".wav") || lower.hasSuffix(".txt")) && file.dropLast(4) == name
        }.sorted()
    }

    private func clipFilesExist(_ name: String) -> Bool { !clipFiles(name).isEmpty }

    private func freeName(from text: String, taken: (String) -> Bool) -> String {
        var base = String(text.lowercased().unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) || "_-".unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        })
        base = base.trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        if base.isEmpty { base = "voice" }
        var name = base
        var n = 2
        while taken(name) {
            name = "\(base)_\(n)"
            n += 1
        }
        return name
    }

    private func createFolder() throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StudioError("\(folder.path): cannot create the voices folder")
        }
    }

    /// Runs of white space (line breaks too) as single spaces, trimmed.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

/// The text of a `profile.yaml` with one more profile, written as the sample file writes them (a folded
/// block, wrapped): after the last entry of the `profiles:` map, or a new map at the end. A file with Windows
/// line ends keeps them.
enum ProfileFileText {
    static func adding(name: String, description: String, to text: String?) -> String {
        guard let text, text.contains("\r\n") else { return adding(name: name, description: description, toLines: text) }
        return adding(name: name, description: description, toLines: text.replacingOccurrences(of: "\r\n", with: "\n"))
            .replacingOccurrences(of: "\n", with: "\r\n")
    }

    private static func adding(name: String, description: String, toLines text: String?) -> String {
        var lines = (text ?? "").components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        guard let start = lines.firstIndex(where: isProfilesKey) else {
            let header = text == nil ? ["# Voice descriptions: a cast member uses one as `profile:NAME`."] : []
            return (lines + header + ["profiles:"] + entry(name, description, indent: "  ")).joined(separator: "\n") + "\n"
        }
        // The map runs to the next top-level key; the entry goes after its last line with text.
        let end = lines[(start + 1)...].firstIndex { line in
            guard let first = line.first else { return false }
            return !first.isWhitespace && first != "#"
        } ?? lines.count
        let body = lines[(start + 1)..<end]
        let indent = body.first { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
            .map { String($0.prefix { $0 == " " }) }
        let insertAt = (body.lastIndex { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? start) + 1
        lines.insert(contentsOf: entry(name, description, indent: indent.flatMap { $0.isEmpty ? nil : $0 } ?? "  "), at: insertAt)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func isProfilesKey(_ line: String) -> Bool {
        guard line.hasPrefix("profiles:") else { return false }
        let rest = line.dropFirst("profiles:".count).trimmingCharacters(in: .whitespaces)
        return rest.isEmpty || rest.hasPrefix("#")
    }

    /// `NAME: >-` and the description in lines of at most 100 columns, indented one step more.
    private static func entry(_ name: String, _ description: String, indent: String) -> [String] {
        let inner = indent + "  "
        var out = ["\(indent)\(name): >-"]
        var line = ""
        for word in description.split(separator: " ") {
            if !line.isEmpty, inner.count + line.count + 1 + word.count > 100 {
                out.append(inner + line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        out.append(inner + line)
        return out
    }
}
