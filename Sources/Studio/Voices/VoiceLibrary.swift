import Foundation
import Yams

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
    /// Clip names with both files present, sorted.
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
        let wavs = Set(names.filter { $0.lowercased().hasSuffix(".wav") }.map { String($0.dropLast(4)) })
        let texts = Set(names.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) })
        for name in wavs.subtracting(texts).sorted() {
            problems.append("\(folder.appendingPathComponent(name).path).wav has no transcript \(name).txt")
        }
        clips = wavs.intersection(texts).filter(VoiceSlot.isValidName).sorted()

        var profiles: [Profile] = []
        let yamlURL = folder.appendingPathComponent("profile.yaml")
        if let text = try? String(contentsOf: yamlURL, encoding: .utf8) {
            do {
                profiles = try VoiceLibrary.parseProfiles(text)
            } catch {
                problems.append("\(yamlURL.path): \(error)")
            }
        }
        self.profiles = profiles
        self.problems = problems
    }

    /// The `profiles:` map of a `profile.yaml`, in file order.
    public static func parseProfiles(_ yaml: String) throws -> [Profile] {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw LibraryError("not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let root = node?.mapping else { throw LibraryError("expected a top-level `profiles:` map") }
        guard let map = root["profiles"]?.mapping else { throw LibraryError("no top-level `profiles:` map") }
        var out: [Profile] = []
        for (key, value) in map {
            guard let name = key.string, VoiceSlot.isValidName(name) else {
                throw LibraryError("profile name '\(key.string ?? "?")' is not a plain name")
            }
            guard let text = value.string, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw LibraryError("profile '\(name)' needs a text description")
            }
            out.append(Profile(name: name, description: text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return out
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
            throw LibraryError("\(url.path): cannot read the clip's transcript")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
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

public struct LibraryError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
