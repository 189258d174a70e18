import Foundation
import ModelHub

/// Where the studio and `higgs generate` find the two checkpoints, in order: a flag, an environment
/// variable, the config file, the Hugging Face cache (what `huggingface-cli download` or the reference
/// fetched), and last a default folder under the home directory.
public struct EngineLocation: Equatable, Sendable {
    public enum Source: String, Sendable {
        case flag, environment, configFile, huggingFaceCache, defaultFolder
    }

    /// One place looked at, for messages and `higgs doctor`.
    public struct Place: Equatable, Sendable {
        public var source: Source
        public var description: String
        /// The folder there, nil when the place names none (no variable set, nothing in the cache).
        public var folder: URL?
    }

    public var model: URL
    public var modelSource: Source
    public var audioTokenizer: URL
    public var audioTokenizerSource: Source
    /// `--precision` and `--threads` as given, else the config file's (nil: the engine's default).
    public var precision: String?
    public var threads: Int?
    /// The config file as read (empty when it is missing or could not be read).
    public var config: StudioConfig
    /// The home folder paths are shown relative to (`~/models/...`).
    public var home: String
    /// Every place looked at for each checkpoint, in order.
    public var modelPlaces: [Place]
    public var audioTokenizerPlaces: [Place]
    /// A config file that could not be read (its folders are then not used).
    public var configProblem: String?

    public static let modelRepository = "bosonai/higgs-audio-v2-generation-3B-base"
    public static let tokenizerRepository = "bosonai/higgs-audio-v2-tokenizer"

    public init(modelFlag: String?, audioTokenizerFlag: String?, precision: String? = nil, threads: Int? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        self.home = home.path
        let configFile = StudioConfig.file(environment: environment)
        var config = StudioConfig(file: configFile)
        do { config = try StudioConfig(environment: environment) } catch { configProblem = "\(error)" }
        self.config = config
        let cache = HubCache(environment: environment)

        func places(flag: String?, flagName: String, variable: String, configured: String?, configKey: String,
                    repository: String, folder: String) -> [Place] {
            func path(_ text: String?) -> URL? {
                guard let text, !text.isEmpty else { return nil }
                return URL(fileURLWithPath: EngineLocation.expand(text, home: home))
            }
            return [
                Place(source: .flag, description: flagName, folder: path(flag)),
                Place(source: .environment, description: "$" + variable, folder: path(environment[variable])),
                Place(source: .configFile, description: "`\(configKey):` in \(EngineLocation.display(configFile, home: home.path))",
                      folder: path(configured)),
                Place(source: .huggingFaceCache,
                      description: "the Hugging Face cache (\(EngineLocation.display(cache.repositoryFolder(repository), home: home.path)))",
                      folder: cache.snapshot(repository)),
                Place(source: .defaultFolder, description: "the default folder",
                      folder: home.appendingPathComponent("models").appendingPathComponent(folder)),
            ]
        }
        modelPlaces = places(flag: modelFlag, flagName: "--model", variable: "HIGGS_MODEL", configured: config.model,
                             configKey: "model", repository: Self.modelRepository, folder: "higgs-audio-v2-generation-3B-base")
        audioTokenizerPlaces = places(flag: audioTokenizerFlag, flagName: "--audio-tokenizer", variable: "HIGGS_AUDIO_TOKENIZER",
                                      configured: config.audioTokenizer, configKey: "audio_tokenizer",
                                      repository: Self.tokenizerRepository, folder: "higgs-audio-v2-tokenizer")
        let model = modelPlaces.first { $0.folder != nil }!
        let tokenizer = audioTokenizerPlaces.first { $0.folder != nil }!
        (self.model, modelSource) = (model.folder!, model.source)
        (audioTokenizer, audioTokenizerSource) = (tokenizer.folder!, tokenizer.source)
        self.precision = precision ?? config.precision
        self.threads = threads ?? config.threads
    }

    static func expand(_ path: String, home: URL) -> String {
        if path == "~" { return home.path }
        if path.hasPrefix("~/") { return home.path + path.dropFirst() }
        return path
    }

    /// What is missing from the folders, one phrase each (empty when both look complete).
    public var missing: [String] { [missingModel, missingAudioTokenizer].compactMap { $0 } }

    /// What is missing of the generation model, as one phrase of `missing` (nil when its folder has its files).
    public var missingModel: String? {
        let fm = FileManager.default
        if !fm.fileExists(atPath: model.appendingPathComponent("config.json").path) {
            return "the model in \(display(model)) (\(hint(modelSource, "--model", "HIGGS_MODEL")))"
        }
        if !fm.fileExists(atPath: model.appendingPathComponent("model.safetensors").path)
            && !fm.fileExists(atPath: model.appendingPathComponent("model.safetensors.index.json").path) {
            return "the model's weights in \(display(model)) (model.safetensors[.index.json])"
        }
        return nil
    }

    /// What is missing of the audio tokenizer, as one phrase of `missing` (nil when its folder has the weights).
    public var missingAudioTokenizer: String? {
        guard !FileManager.default.fileExists(atPath: audioTokenizer.appendingPathComponent("model.pth").path) else { return nil }
        return "the audio tokenizer in \(display(audioTokenizer)) (\(hint(audioTokenizerSource, "--audio-tokenizer", "HIGGS_AUDIO_TOKENIZER")))"
    }

    private func hint(_ source: Source, _ flag: String, _ variable: String) -> String {
        switch source {
        case .flag: return "from \(flag)"
        case .environment: return "from $\(variable)"
        case .configFile: return "from the config file"
        case .huggingFaceCache: return "from the Hugging Face cache"
        case .defaultFolder: return "the default; set \(flag) or $\(variable)"
        }
    }

    /// How to get the checkpoints, in one sentence.
    public static let howToGet = "Run `higgs doctor` to see every place looked at; `higgs download` fetches \(modelRepository) "
        + "and \(tokenizerRepository) into the Hugging Face cache, where they are found (or put them into those folders)."

    /// Why there is no generation, for the status line and the generation keys.
    public var unavailableReason: String? {
        let m = missing
        guard !m.isEmpty else { return nil }
        return "No model to generate with: looked for \(m.joined(separator: " and ")). \(EngineLocation.howToGet)"
    }

    /// A path with the home folder written `~`.
    public func display(_ url: URL) -> String { Self.display(url, home: home) }

    static func display(_ url: URL, home: String) -> String {
        url.path.hasPrefix(home + "/") && home != "/" ? "~" + url.path.dropFirst(home.count) : url.path
    }
}
