import AudioIO
import Foundation
import Prompt
import Studio
import TestSupport
import Testing

@Suite struct VoiceAddingTests {
    /// A few seconds of a tone, as a 16-bit 44.1 kHz file: the clip is copied as it is, not converted.
    private func writeClip(_ url: URL, seconds: Double = 2) throws -> Data {
        let samples = (0..<Int(44_100 * seconds)).map { 0.3 * sinf(Float($0) * 0.05) }
        try WAVFile.write(samples, sampleRate: 44_100, to: url)
        return try Data(contentsOf: url)
    }

    @Test func aClipIsCopiedWithItsTranscriptAndListed() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("Recording 1.wav")
        let bytes = try writeClip(source)
        let voices = folder.appendingPathComponent("voices")   // not there yet: made on the first add

        let library = VoiceLibrary(folder: voices)
        #expect(library.freeClipName(from: "Recording 1") == "recording_1")
        let added = try library.addClip(named: "mara", audio: source, transcript: "  Good evening,\n and welcome.  ")
        #expect(abs(added.seconds - 2) < 1e-3 && added.sampleRate == 44_100)
        #expect(added.advice == VoiceLibrary.lengthAdvice(seconds: added.seconds))
        #expect(try Data(contentsOf: voices.appendingPathComponent("mara.wav")) == bytes)
        #expect(try String(contentsOf: voices.appendingPathComponent("mara.txt"), encoding: .utf8) == "Good evening, and welcome.\n")

        let reread = VoiceLibrary(folder: voices)
        #expect(reread.clips == ["mara"])
        #expect(reread.problems.isEmpty)
        #expect(try reread.resolve(.clip("mara")) == .clip(name: "mara", audio: voices.appendingPathComponent("mara.wav"),
                                                            transcript: "Good evening, and welcome."))
        #expect(reread.freeClipName(from: "Mara") == "mara_2")
        #expect(try FileManager.default.contentsOfDirectory(atPath: voices.path).sorted() == ["mara.txt", "mara.wav"])
    }

    /// An MP3 clip (what a phone or a download gives) is kept as the 16-bit WAV of its audio.
    @Test func anMP3ClipIsKeptAsTheWAVOfItsAudio() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("memo.mp3")
        let samples = (0..<48_000).map { 0.3 * sinf(Float($0) * 0.05) }
        try MP3File.write(samples, sampleRate: 24_000, bitrate: 128, to: source)
        let library = VoiceLibrary(folder: folder.appendingPathComponent("voices"))
        let added = try library.addClip(named: "memo", audio: source, transcript: "Hello.")
        #expect(abs(added.seconds - 2) < 1e-3 && added.sampleRate == 44_100)
        let kept = try WAVFile.read(library.clipAudio("memo"))
        let decoded = try MP3File.decode(Data(contentsOf: source), file: source.path)
        #expect(kept.sampleRate == 44_100 && kept.samples.count == decoded.samples.count)
        #expect(zip(kept.samples, decoded.samples).allSatisfy { abs($0 - $1) <= 1.0 / 32_768 + 1e-6 })
        #expect(try AudioFile.read(source).samples == decoded.samples)
        #expect(try AudioFile.isMP3(Data(contentsOf: source)) && !AudioFile.isMP3(Data(contentsOf: library.clipAudio("memo"))))
    }

    @Test func aClipIsRefusedWithTheReasonAndNothingWritten() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("take.wav")
        _ = try writeClip(source)
        let voices = folder.appendingPathComponent("voices")
        try VoiceLibrary(folder: voices).addClip(named: "ann", audio: source, transcript: "Hello.")
        let reread = VoiceLibrary(folder: voices)

        func refusal(_ name: String, _ audio: URL, _ transcript: String) -> String {
            do {
                try reread.addClip(named: name, audio: audio, transcript: transcript)
                return "added"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal("ann", source, "Again.").contains("a voice clip 'ann' is already there"))
        #expect(refusal("a b", source, "Hi.").contains("'a b' cannot name a voice"))
        #expect(refusal(".hidden", source, "Hi.").contains("cannot name a voice"))
        // `Mara: auto` in the cast would reopen as the automatic voice, the clip lost.
        #expect(refusal("auto", source, "Hi.") == "'auto' cannot name a clip voice: in a cast, auto is the automatic voice")
        #expect(refusal("bob", source, " \n ").contains("needs the transcript"))
        // Said before the file system refuses the file name.
        let long = String(repeating: "a", count: 300)
        #expect(refusal(long, source, "Hi.") == "'aaaaaaaaaaaaaaaaaaaa…' (300 characters) cannot name a voice: at most 100 characters")
        #expect(throws: StudioError.self) { try reread.addProfile(named: long, description: "A voice.") }
        #expect(refusal(String(repeating: "語", count: 90), source, "Hi.").hasSuffix("at most 100 characters, fewer outside A-Z"))
        // Half a clip is named as what it is, not as a clip already there.
        try "Left over.\n".write(to: voices.appendingPathComponent("orphan.txt"), atomically: true, encoding: .utf8)
        #expect(refusal("orphan", source, "Hi.")
                == "\(voices.appendingPathComponent("orphan.txt").path) is there without orphan.wav: remove it, or add the WAV beside it")
        _ = try writeClip(voices.appendingPathComponent("mute.wav"))
        #expect(refusal("mute", source, "Hi.")
                == "\(voices.appendingPathComponent("mute.wav").path) is there without mute.txt: remove it, or write its transcript in mute.txt beside it")
        try FileManager.default.removeItem(at: voices.appendingPathComponent("orphan.txt"))
        try FileManager.default.removeItem(at: voices.appendingPathComponent("mute.wav"))
        let missing = folder.appendingPathComponent("nowhere.wav")
        #expect(refusal("bob", missing, "Hi.") == "\(missing.path): file not found")
        let notWAV = folder.appendingPathComponent("notes.wav")
        try Data("not a wave file at all".utf8).write(to: notWAV)
        #expect(refusal("bob", notWAV, "Hi.").hasPrefix("\(notWAV.path): "))
        let blip = folder.appendingPathComponent("blip.wav")
        _ = try writeClip(blip, seconds: 0.1)
        #expect(refusal("bob", blip, "Hi.").contains("needs a few seconds"))
        // Silence (digital, or hiss under -60 dBFS) would be cloned as silence: refused, from a file or a recording.
        let silent = folder.appendingPathComponent("silent.wav")
        try WAVFile.write([Float](repeating: 0, count: 6 * 44_100), sampleRate: 44_100, to: silent)
        #expect(refusal("bob", silent, "Hi.") == "\(silent.path): holds no sound (nothing louder than -60 dBFS); a voice clip is someone speaking")
        let hiss = (0..<6 * 24_000).map { _ in Float.random(in: -0.0005...0.0005) }
        #expect(throws: StudioError("the recording: holds no sound (nothing louder than -60 dBFS); a voice clip is someone speaking")) {
            try reread.addClip(named: "bob", recording: hiss, sampleRate: 24_000, transcript: "Hi.")
        }
        // Over a minute: generation would not use it.
        let minute = (0..<61 * 8_000).map { 0.2 * sinf(Float($0) * 0.05) }
        #expect(throws: StudioError("the recording: 61 s of audio; a voice clip over 60 s is not used (every prompt would carry it); "
                                    + "cut it to 5 to 20 s of one person speaking")) {
            try reread.addClip(named: "bob", recording: minute, sampleRate: 8_000, transcript: "Hi.")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: voices.path).sorted() == ["ann.txt", "ann.wav"])
    }

    /// A quiet voice is still a voice; a short or long clip is added, with what to tell the writer about it.
    @Test func aQuietOrShortClipIsAddedWithAdviceOnItsLength() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = VoiceLibrary(folder: folder)
        let quiet = (0..<Int(1.2 * 24_000)).map { 0.01 * sinf(Float($0) * 0.05) }   // -43 dBFS
        let added = try library.addClip(named: "whisper", recording: quiet, sampleRate: 24_000, transcript: "Psst.")
        #expect(VoiceLibrary(folder: folder).clips == ["whisper"])
        #expect(added.advice == "under 3 s: the model has little of the voice to copy; 5 to 20 s works best")
        #expect(VoiceLibrary.lengthAdvice(seconds: 3) == nil && VoiceLibrary.lengthAdvice(seconds: 30) == nil)
        #expect(VoiceLibrary.lengthAdvice(seconds: 31) == "over 30 s: every prompt that uses it is long; 5 to 20 s is plenty")
    }

    /// A phone call's 8 kHz holds none of a voice's upper range, which the model would copy muffled: such a clip is
    /// added with a warning, and the lists that read clips mark it; 16 kHz and more is fine.
    @Test func aClipRecordedAtALowRateIsAddedWithAWarningAndMarked() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = VoiceLibrary(folder: folder.appendingPathComponent("voices"))
        let call = folder.appendingPathComponent("call.wav"), wide = folder.appendingPathComponent("wide.wav")
        try WAVFile.write((0..<6 * 8_000).map { 0.3 * sinf(Float($0) * 0.2) }, sampleRate: 8_000, to: call)
        try WAVFile.write((0..<6 * 16_000).map { 0.3 * sinf(Float($0) * 0.1) }, sampleRate: 16_000, to: wide)
        let phone = try library.addClip(named: "phone", audio: call, transcript: "Hello?")
        #expect(phone.sampleRate == 8_000 && abs(phone.seconds - 6) < 1e-3)
        #expect(phone.advice == "recorded at 8000 Hz: the voice is copied as muffled as it sounds; a recording at 16 kHz or more serves better")
        #expect(try library.addClip(named: "wide", audio: wide, transcript: "Hello.").advice == nil)
        let short = try library.addClip(named: "short", recording: (0..<8_000).map { 0.3 * sinf(Float($0) * 0.2) }, sampleRate: 8_000, transcript: "Hi.")
        #expect(short.advice?.hasPrefix("under 3 s: ") == true && short.advice?.hasSuffix("; recorded at 8000 Hz: the voice is copied "
                + "as muffled as it sounds; a recording at 16 kHz or more serves better") == true, "\(short.advice ?? "nil")")

        let reread = VoiceLibrary(folder: library.folder)
        #expect(reread.check(clip: "phone").problems == ["\(reread.clipAudio("phone").path): recorded at 8000 Hz: the voice is copied as "
                + "muffled as it sounds; a recording at 16 kHz or more serves better"])
        #expect(reread.check(clip: "wide").problems.isEmpty)
    }

    /// Added to the project's own `profile.yaml`: its text stays as it was, the new profile follows the others.
    @Test func aProfileIsAddedAfterTheOthersLeavingTheFileAsItWas() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sample = Fixtures.testsFolder.deletingLastPathComponent().appendingPathComponent("Voices/profile.yaml")
        let original = try String(contentsOf: sample, encoding: .utf8)
        let file = folder.appendingPathComponent("profile.yaml")
        try original.write(to: file, atomically: true, encoding: .utf8)
        let library = VoiceLibrary(folder: folder)
        #expect(library.profiles.count >= 4)

        let description = "A man in his sixties with a dry, quiet Welsh voice: slow, precise, amused; says \"well\" a lot, "
            + "speaks as if he has all the time in the world, with a long pause before every punchline, very clear audio."
        try library.addProfile(named: "welsh_poet", description: description)
        let updated = try String(contentsOf: file, encoding: .utf8)
        #expect(updated.hasPrefix(original))
        #expect(updated.dropFirst(original.count).split(separator: "\n").allSatisfy { $0.count <= 100 })
        let reread = VoiceLibrary(folder: folder)
        #expect(reread.problems.isEmpty)
        #expect(reread.profiles == library.profiles + [.init(name: "welsh_poet", description: description)])
        #expect(reread.freeProfileName(from: "Welsh poet") == "welsh_poet_2")
    }

    /// A `profile.yaml` saved on Windows (CRLF line ends) reads, and takes a new profile in its map, in its own line ends.
    @Test func aProfileIsAddedToAFileWithWindowsLineEnds() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sample = Fixtures.testsFolder.deletingLastPathComponent().appendingPathComponent("Voices/profile.yaml")
        let original = try String(contentsOf: sample, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
        let file = folder.appendingPathComponent("profile.yaml")
        try Data(original.utf8).write(to: file)
        let library = VoiceLibrary(folder: folder)
        #expect(library.profiles.count >= 4 && library.problems.isEmpty)

        try library.addProfile(named: "calm", description: "A calm voice.")
        let updated = try Data(contentsOf: file)
        #expect(updated.starts(with: Data(original.utf8)))
        let bytes = [UInt8](updated)
        let breaks = bytes.indices.filter { bytes[$0] == 0x0A }
        #expect(breaks.count > 10 && breaks.allSatisfy { $0 > 0 && bytes[$0 - 1] == 0x0D })
        let reread = VoiceLibrary(folder: folder)
        #expect(reread.problems.isEmpty && reread.profiles == library.profiles + [.init(name: "calm", description: "A calm voice.")])
    }

    @Test func aProfileGoesIntoTheMapWhereverItIsOrANewFile() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("profile.yaml")

        // No file yet.
        try VoiceLibrary(folder: folder).addProfile(named: "calm", description: "A calm voice.")
        #expect(VoiceLibrary(folder: folder).profiles == [.init(name: "calm", description: "A calm voice.")])

        // The map is not the last thing in the file, and indents by four.
        let text = "# mine\nprofiles:\n    calm: A calm voice.\n\n    # loud ones\n    loud: |\n      A loud voice.\n\nnotes: keep\n"
        try text.write(to: file, atomically: true, encoding: .utf8)
        try VoiceLibrary(folder: folder).addProfile(named: "soft", description: "A soft voice.")
        let updated = try String(contentsOf: file, encoding: .utf8)
        #expect(updated == "# mine\nprofiles:\n    calm: A calm voice.\n\n    # loud ones\n    loud: |\n      A loud voice.\n"
            + "    soft: >-\n      A soft voice.\n\nnotes: keep\n")
        #expect(VoiceLibrary(folder: folder).profiles.map(\.name) == ["calm", "loud", "soft"])
        // A profile is cast as `profile:NAME`, which reads back whatever the name: `auto` is one too.
        try VoiceLibrary(folder: folder).addProfile(named: "auto", description: "An automatic-sounding voice.")
        #expect(VoiceLibrary(folder: folder).profile(named: "auto") != nil && VoiceSlot(written: "profile:auto") == .profile("auto"))
        try text.write(to: file, atomically: true, encoding: .utf8)

        // Refused: a name already there, an empty description, a file the library cannot read (left alone),
        // a map written in flow style.
        let library = VoiceLibrary(folder: folder)
        #expect(throws: StudioError("\(file.path): a profile 'calm' is already there")) {
            try library.addProfile(named: "calm", description: "Another.")
        }
        #expect(throws: StudioError("a profile voice needs a description of how it sounds")) {
            try library.addProfile(named: "new", description: "\n")
        }
        try "profiles:\n  calm: [unclosed\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: StudioError.self) { try VoiceLibrary(folder: folder).addProfile(named: "new", description: "New.") }
        #expect(try String(contentsOf: file, encoding: .utf8) == "profiles:\n  calm: [unclosed\n")
        try "profiles: {calm: A calm voice.}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: StudioError("\(file.path): its layout does not let 'new' be added without rewriting it; add it by hand")) {
            try VoiceLibrary(folder: folder).addProfile(named: "new", description: "New.")
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "profiles: {calm: A calm voice.}\n")
    }
}
