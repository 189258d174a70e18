import Foundation
import Yams

/// Where a speaker's voice comes from, in the reference's `voice_prompts` terms.
public enum VoiceSlot: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The model picks a voice (the reference's default system message).
    case automatic
    /// A reference clip: `Voices/NAME.wav` with its transcript `Voices/NAME.txt`.
    case clip(String)
    /// A description from `Voices/profile.yaml`'s `profiles:` map.
    case profile(String)

    /// As written in a project file: `auto`, `NAME` or `profile:NAME`.
    public var description: String {
        switch self {
        case .automatic: return "auto"
        case .clip(let name): return name
        case .profile(let name): return "profile:\(name)"
        }
    }

    /// Reads the written form; nil when it is not a valid slot.
    public init?(written text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "auto" {
            self = .automatic
        } else if text.hasPrefix("profile:") {
            let name = String(text.dropFirst("profile:".count)).trimmingCharacters(in: .whitespaces)
            guard VoiceSlot.isValidName(name) else { return nil }
            self = .profile(name)
        } else {
            guard VoiceSlot.isValidName(text) else { return nil }
            self = .clip(text)
        }
    }

    /// Why a clip cannot be called `name` (a valid name), or nil: a cast entry `Mara: NAME` must read back as
    /// the clip, and `auto` reads as the automatic voice. (A profile is written `profile:NAME`, so any name reads back.)
    public static func clipNameProblem(_ name: String) -> String? {
        switch VoiceSlot(written: name) {
        case .clip(name)?, nil: return nil
        case .automatic?: return "'\(name)' cannot name a clip voice: in a cast, \(name) is the automatic voice"
        case let other?: return "'\(name)' cannot name a clip voice: in a cast, it reads as \(other)"
        }
    }

    /// Clip and profile names: what a file name or a YAML key can hold without quoting.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)
        } && !name.hasPrefix(".")
    }
}

/// A voice slot with what the prompt needs from it.
public enum ResolvedVoice: Equatable, Hashable, Sendable {
    case automatic
    /// A reference clip: the engine encodes `audio` with the audio tokenizer; `transcript` is its text.
    case clip(name: String, audio: URL, transcript: String)
    /// A voice description (goes into the system message as `SPEAKERi: description`).
    case profile(name: String, description: String)
}


/// The voices a cast can use, from a folder in the reference's `voice_prompts` layout:
/// `NAME.wav` + `NAME.txt` (a clip and its transcript) and `profile.yaml` (a top-level `profiles:` map
/// of voice descriptions).
public struct VoiceLibrary: Sendable {
    public struct Profile: Equatable, Sendable {
        public var name: String
        public var description: String

        public init(name: String, description: String) {
            self.name = name
            self.description = description
        }
    }

    public let folder: URL
    /// Clips a cast can use, sorted: `NAME.wav` and `NAME.txt` both there, under a name that reads back as the clip.
    public let clips: [String]
    /// Profiles in the order `profile.yaml` lists them.
    public let profiles: [Profile]
    /// Problems met while reading the folder (shown in the cast panel; the rest still works).
    public let problems: [String]

    public init(clips: [String], profiles: [Profile], folder: URL = URL(fileURLWithPath: "Voices")) {
        self.folder = folder
        self.clips = clips
        self.profiles = profiles
        self.problems = []
    }

    /// Reads `folder`. A missing folder gives an empty library with the problem noted, never an error.
    public init(folder: URL) {
        self.folder = folder
        var problems: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        if names.isEmpty && !FileManager.default.fileExists(atPath: folder.path) {
            problems.append("\(folder.path): no such voices folder")
        }
        // Hidden files (`.DS_Store`, an editor's) are not the writer's voices.
        let visible = names.filter { !$0.hasPrefix(".") }
        func path(_ file: String) -> String { folder.appendingPathComponent(file).path }
        func stems(_ ext: String) -> Set<String> { Set(visible.filter { $0.hasSuffix(ext) }.map { String($0.dropLast(4)) }) }
        let wavs = stems(".wav"), texts = stems(".txt")
        // The engine opens NAME.wav: `NAME.WAV` is another file on Linux, so it is named, not read.
        func otherCase(_ ext: String) -> [String] { visible.filter { $0.lowercased().hasSuffix(ext) && !$0.hasSuffix(ext) }.sorted() }
        for file in otherCase(".wav") {
            problems.append("\(path(file)): a clip's audio must end in lower-case .wav (rename it \(file.dropLast(4)).wav)")
        }
        let textsInOtherCase = otherCase(".txt")
        var clips: [String] = []
        for name in wavs.sorted() {
            let wav = path("\(name).wav")
            if !VoiceSlot.isValidName(name) {
                problems.append("\(wav): '\(name)' cannot name a voice: use letters, digits, _, - and . (rename it and its .txt)")
            } else if !texts.contains(name) {
                let misnamed = textsInOtherCase.first { $0.dropLast(4) == name }
                problems.append("\(wav) has no transcript \(name).txt" + (misnamed.map { " (\($0) must end in lower-case .txt)" } ?? ""))
            } else if let problem = VoiceSlot.clipNameProblem(name) {
                // Listed, it could be cast, and the cast would reopen with another voice.
                problems.append("\(wav): \(problem) (rename \(name).wav and \(name).txt)")
            } else {
                clips.append(name)
            }
        }
        self.clips = clips

        var profiles: [Profile] = []
        let yamlURL = folder.appendingPathComponent("profile.yaml")
        if let text = try? String(contentsOf: yamlURL, encoding: .utf8) {
            do {
                let read = try VoiceLibrary.readProfiles(text)
                profiles = read.profiles
                problems += read.problems.map { "\(yamlURL.path):\($0.line): \($0.problem)" }
            } catch {
                problems.append("\(yamlURL.path): \(error)")
            }
        }
        self.profiles = profiles
        self.problems = problems
    }

    /// The `profiles:` map of a `profile.yaml`, in file order; the first entry that does not read is an error.
    public static func parseProfiles(_ yaml: String) throws -> [Profile] {
        let read = try readProfiles(yaml)
        if let first = read.problems.first { throw PromptError("line \(first.line): \(first.problem)") }
        return read.profiles
    }

    /// The `profiles:` map of a `profile.yaml`, in file order, and what is wrong with the entries left out:
    /// one bad entry does not hide the others. A name given twice keeps its last entry, as YAML readers
    /// (the reference's too) do. Throws when the file has no map to read.
    public static func readProfiles(_ yaml: String) throws -> (profiles: [Profile], problems: [(line: Int, problem: String)]) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PromptError("not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let root = node?.mapping else { throw PromptError("expected a top-level `profiles:` map") }
        guard let map = root["profiles"]?.mapping else { throw PromptError("no top-level `profiles:` map") }
        var out: [Profile] = []
        var problems: [(line: Int, problem: String)] = []
        for (key, value) in map {
            let line = key.mark?.line ?? 0
            guard let name = key.string, VoiceSlot.isValidName(name) else {
                problems.append((line, "profile name '\(key.string ?? "?")' is not a plain name (letters, digits, _, - and .)"))
                continue
            }
            guard let text = value.string, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                problems.append((line, "profile '\(name)' needs a text description"))
                continue
            }
            if let earlier = out.firstIndex(where: { $0.name == name }) {
                problems.append((line, "profile '\(name)' is given twice; the last one is used"))
                out.remove(at: earlier)
            }
            // Kept as YAML gives it (a `|` block keeps its final newline): the reference puts it in the
            // system message unchanged.
            out.append(Profile(name: name, description: text))
        }
        return (out, problems)
    }

    public func profile(named name: String) -> Profile? { profiles.first { $0.name == name } }

    /// Every slot a speaker can be given, for the voice picker: automatic, profiles, clips.
    public var slots: [VoiceSlot] {
        [.automatic] + profiles.map { .profile($0.name) } + clips.map { .clip($0) }
    }

    /// The clip's audio file.
    public func clipAudio(_ name: String) -> URL { folder.appendingPathComponent("\(name).wav") }

    /// The clip's transcript, trimmed.
    public func clipTranscript(_ name: String) throws -> String {
        let url = folder.appendingPathComponent("\(name).txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw PromptError("\(url.path): cannot read the voice clip's transcript")
        }
        return PythonText.strip(text)
    }

    /// What the prompt needs of `slot`; an unknown voice or unreadable transcript is an error naming it.
    public func resolve(_ slot: VoiceSlot) throws -> ResolvedVoice {
        if let problem = problem(with: slot) { throw PromptError(problem) }
        switch slot {
        case .automatic: return .automatic
        case .profile(let name): return .profile(name: name, description: profile(named: name)!.description)
        case .clip(let name): return .clip(name: name, audio: clipAudio(name), transcript: try clipTranscript(name))
        }
    }

    /// The reference CLI's `--ref-audio` list (`belinda,profile:narrator`, ...), resolved in order.
    public func resolve(list: String) throws -> [ResolvedVoice] {
        try list.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let text = String(item)
            guard let slot = VoiceSlot(written: text), slot != .automatic else {
                throw PromptError("'\(text)' in --ref-audio is not a voice name or profile:NAME")
            }
            return try resolve(slot)
        }
    }

    /// Why `slot` cannot be used, or nil. The message names the voice and where it was looked for.
    public func problem(with slot: VoiceSlot) -> String? {
        switch slot {
        case .automatic:
            return nil
        case .clip(let name):
            if clips.contains(name) { return nil }
            return "no voice clip '\(name)' in \(folder.path) (a clip needs \(name).wav and \(name).txt)"
        case .profile(let name):
            if profile(named: name) != nil { return nil }
            let known = profiles.map(\.name).joined(separator: ", ")
            return "no profile '\(name)' in \(folder.appendingPathComponent("profile.yaml").path)"
                + (known.isEmpty ? "" : " (profiles: \(known))")
        }
    }
}

