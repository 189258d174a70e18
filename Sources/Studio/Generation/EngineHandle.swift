import Foundation
import Prompt

/// Where the studio looks for the two checkpoints: a flag, else an environment variable, else a default
/// folder under the home directory.
public struct EngineLocation: Equatable, Sendable {
    public enum Source: String, Sendable {
        case flag, environment, defaultFolder
    }

    public var model: URL
    public var modelSource: Source
    public var audioTokenizer: URL
    public var audioTokenizerSource: Source
    /// `--precision` and `--threads` as given (nil: the engine's default).
    public var precision: String?
    public var threads: Int?
    /// The home folder paths are shown relative to (`~/models/...`).
    public var home: String

    public static let modelRepository = "bosonai/higgs-audio-v2-generation-3B-base"
    public static let tokenizerRepository = "bosonai/higgs-audio-v2-tokenizer"

    public init(modelFlag: String?, audioTokenizerFlag: String?, precision: String? = nil, threads: Int? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        self.home = home.path
        func pick(_ flag: String?, _ variable: String, _ folder: String) -> (URL, Source) {
            if let flag, !flag.isEmpty { return (URL(fileURLWithPath: EngineLocation.expand(flag, home: home)), .flag) }
            if let value = environment[variable], !value.isEmpty {
                return (URL(fileURLWithPath: EngineLocation.expand(value, home: home)), .environment)
            }
            return (home.appendingPathComponent("models").appendingPathComponent(folder), .defaultFolder)
        }
        (model, modelSource) = pick(modelFlag, "HIGGS_MODEL", "higgs-audio-v2-generation-3B-base")
        (audioTokenizer, audioTokenizerSource) = pick(audioTokenizerFlag, "HIGGS_AUDIO_TOKENIZER", "higgs-audio-v2-tokenizer")
        self.precision = precision
        self.threads = threads
    }

    static func expand(_ path: String, home: URL) -> String {
        if path == "~" { return home.path }
        if path.hasPrefix("~/") { return home.path + path.dropFirst() }
        return path
    }

    /// What is missing from the folders, one phrase each (empty when both look complete).
    public var missing: [String] {
        let fm = FileManager.default
        var out: [String] = []
        if !fm.fileExists(atPath: model.appendingPathComponent("config.json").path) {
            out.append("the model in \(display(model)) (\(hint(modelSource, "--model", "HIGGS_MODEL")))")
        } else if !fm.fileExists(atPath: model.appendingPathComponent("model.safetensors").path)
                    && !fm.fileExists(atPath: model.appendingPathComponent("model.safetensors.index.json").path) {
            out.append("the model's weights in \(display(model)) (model.safetensors[.index.json])")
        }
        if !fm.fileExists(atPath: audioTokenizer.appendingPathComponent("model.pth").path) {
            out.append("the audio tokenizer in \(display(audioTokenizer)) "
                       + "(\(hint(audioTokenizerSource, "--audio-tokenizer", "HIGGS_AUDIO_TOKENIZER")))")
        }
        return out
    }

    private func hint(_ source: Source, _ flag: String, _ variable: String) -> String {
        switch source {
        case .flag: return "from \(flag)"
        case .environment: return "from $\(variable)"
        case .defaultFolder: return "the default; set \(flag) or $\(variable)"
        }
    }

    /// How to get the checkpoints, in one sentence.
    public static let howToGet = "Download \(modelRepository) and \(tokenizerRepository) "
        + "(`huggingface-cli download REPO --local-dir DIR`; see the README)."

    /// Why there is no generation, for the status line and the generation keys.
    public var unavailableReason: String? {
        let m = missing
        guard !m.isEmpty else { return nil }
        return "No model to generate with: looked for \(m.joined(separator: " and ")). \(EngineLocation.howToGet)"
    }

    /// A path with the home folder written `~`.
    public func display(_ url: URL) -> String {
        url.path.hasPrefix(home + "/") && home != "/" ? "~" + url.path.dropFirst(home.count) : url.path
    }
}

/// The generation engine as the studio holds it: not there (and why), loading, ready, or failed to load.
/// Loading runs on its own thread; generation jobs wait for it.
public final class EngineHandle: @unchecked Sendable {
    public enum State: Sendable {
        case unavailable(String)
        case loading(String)
        case ready(LineSynthesizer)
        case failed(String)
    }

    private let condition = NSCondition()
    private var current: State

    public init(_ state: State) {
        current = state
    }

    public var state: State {
        condition.lock()
        defer { condition.unlock() }
        return current
    }

    /// Loads the engine with `factory` on a background thread.
    public func load(_ what: String, factory: @escaping @Sendable () throws -> LineSynthesizer) {
        condition.lock()
        current = .loading(what)
        condition.unlock()
        let thread = Thread { [self] in
            let result: State
            do {
                result = .ready(try factory())
            } catch {
                result = .failed("\(error)")
            }
            condition.lock()
            current = result
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "engine-load"
        thread.start()
    }

    /// The synthesizer, waiting while it loads; an error saying why there is none otherwise.
    public func synthesizer(isCancelled: () -> Bool = { false }) throws -> LineSynthesizer {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch current {
            case .ready(let s): return s
            case .unavailable(let why), .failed(let why): throw StudioError(why)
            case .loading:
                if isCancelled() { throw CancellationError() }
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
            }
        }
    }
}
