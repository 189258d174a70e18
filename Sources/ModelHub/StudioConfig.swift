import Foundation
import Yams

/// The user's settings file, `$XDG_CONFIG_HOME/higgs-studio/config.yaml` (default `~/.config/...`):
///
///     model: ~/models/higgs-audio-v2-generation-3B-base
///     audio_tokenizer: ~/models/higgs-audio-v2-tokenizer
///
/// Only these keys are read; others are left for later versions.
public struct StudioConfig: Sendable, Equatable {
    public var model: String?
    public var audioTokenizer: String?
    /// Where it was read from (or would be).
    public let file: URL

    public static func file(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("higgs-studio/config.yaml")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".config/higgs-studio/config.yaml")
    }

    /// Reads the file; none is an empty config; a file that is not a YAML map is an error naming it.
    public init(environment: [String: String]) throws {
        file = Self.file(environment: environment)
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return }
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch {
            throw ModelHubError("\(file.path): not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        guard let map = loaded as? [String: Any] else {
            if loaded == nil { return }
            throw ModelHubError("\(file.path): expected keys such as `model:` and `audio_tokenizer:`")
        }
        model = map["model"] as? String
        audioTokenizer = map["audio_tokenizer"] as? String
    }
}

/// A problem finding or fetching checkpoints; one line, shown as is.
public struct ModelHubError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
