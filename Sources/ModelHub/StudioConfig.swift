import Foundation
import Yams

/// The user's settings file, `$XDG_CONFIG_HOME/higgs-studio/config.yaml` (default `~/.config/...`): what
/// holds on this machine whatever the project, each key standing in for a flag that is not given.
///
///     model: ~/models/higgs-audio-v2-generation-3B-base
///     audio_tokenizer: ~/models/higgs-audio-v2-tokenizer
///     precision: q8          # bf16, q8 or q4
///     threads: 4
///     audio_device: hw:1     # ALSA playback device; record_device: the one voices are recorded from
///     prefill_ahead: off     # the studio computes the next lines' prompts while idle (default on)
///     voices: ~/higgs/Voices # the voice and scene libraries, where a project's folder has none of its own
///     scenes: ~/higgs/Scenes
///
/// A key not among these is kept in `unknownKeys` (for `higgs doctor`), so that a misspelt one is told.
public struct StudioConfig: Sendable, Equatable {
    public var model: String?
    public var audioTokenizer: String?
    public var precision: String?
    public var threads: Int?
    public var audioDevice: String?
    public var recordDevice: String?
    public var prefillAhead: Bool?
    public var voices: String?
    public var scenes: String?
    /// Keys the file has that are not read, in the file's order.
    public var unknownKeys: [String] = []
    /// Where it was read from (or would be).
    public let file: URL

    public static let keys = ["model", "audio_tokenizer", "precision", "threads", "audio_device", "record_device", "prefill_ahead",
                              "voices", "scenes"]
    public static let precisions = ["bf16", "q8", "q4"]

    public static func file(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("higgs-studio/config.yaml")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".config/higgs-studio/config.yaml")
    }

    /// An empty config for `file` (what a missing or unreadable file gives).
    public init(file: URL) { self.file = file }

    /// Reads the file; none is an empty config; a file that is not a YAML map, or a value that does not
    /// read, is an error naming the file and the key.
    public init(environment: [String: String]) throws {
        file = Self.file(environment: environment)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder) else { return }
        guard !isFolder.boolValue else { throw ModelHubError("\(file.path): a folder, where the config file was expected") }
        guard let data = FileManager.default.contents(atPath: file.path) else { throw ModelHubError("\(file.path): cannot read it") }
        guard let text = String(data: data, encoding: .utf8) else { throw ModelHubError("\(file.path): not UTF-8 text") }
        let loaded: Node?
        do { loaded = try Yams.compose(yaml: text) } catch {
            throw ModelHubError("\(file.path): not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        guard let loaded else { return }
        guard let map = loaded.mapping else {
            throw ModelHubError("\(file.path): expected keys such as `model:` and `audio_tokenizer:`")
        }
        for (key, value) in map {
            guard let name = key.string else { continue }
            guard Self.keys.contains(name) else { unknownKeys.append(name); continue }
            if value.scalar?.string.isEmpty == true { continue }  // `model:` with nothing after it: as if not written
            // Every value is read as the text written, so `threads: 4`, `prefill_ahead: off` and `audio_device: null`
            // (ALSA's device that plays nothing) read as meant.
            guard let text = value.scalar?.string else { throw bad(name, "expects a value, not a list or a map") }
            switch name {
            case "model": model = text
            case "audio_tokenizer": audioTokenizer = text
            case "audio_device": audioDevice = text
            case "record_device": recordDevice = text
            case "voices": voices = text
            case "scenes": scenes = text
            case "precision":
                guard Self.precisions.contains(text) else { throw bad(name, "must be bf16, q8 or q4, not '\(text)'") }
                precision = text
            case "threads":
                guard let n = Int(text), n >= 1 else { throw bad(name, "must be a number of threads, 1 or more, not '\(text)'") }
                threads = n
            default:
                switch text.lowercased() {
                case "on", "true", "yes": prefillAhead = true
                case "off", "false", "no": prefillAhead = false
                default: throw bad(name, "must be on or off, not '\(text)'")
                }
            }
        }
    }

    private func bad(_ key: String, _ problem: String) -> ModelHubError {
        ModelHubError("\(file.path): `\(key):` \(problem)")
    }
}

/// A problem finding or fetching checkpoints; one line, shown as is.
public struct ModelHubError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
