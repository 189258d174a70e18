import ArgumentParser
import AudioCodec
import Checkpoint
import Foundation
import Kernels
import ModelHub
import Studio
import Transformer

/// `higgs doctor`: where the checkpoints were looked for, what was found, and whether it would load.
/// Reads headers only (safetensors headers, the torch archive's index), so it is quick at full size.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show where the checkpoints are looked for, what is there, and whether it is complete; which voices and scenes folders are used."
    )

    @Option(help: "The generation model folder, as the other commands take it.")
    var model: String?

    @Option(help: "The audio tokenizer folder, as the other commands take it.")
    var audioTokenizer: String?

    @Option(help: FolderHelp.voices)
    var voices: String?

    @Option(help: FolderHelp.scenes)
    var scenes: String?

    func run() throws {
        let location = EngineLocation(modelFlag: model, audioTokenizerFlag: audioTokenizer)
        reportConfig(location)
        let modelOK = report("Generation model", EngineLocation.modelRepository, location.modelPlaces, location.model, location) {
            try Self.inspectModel($0)
        }
        print("")
        let tokenizerOK = report("Audio tokenizer", EngineLocation.tokenizerRepository, location.audioTokenizerPlaces,
                                 location.audioTokenizer, location) { try Self.inspectTokenizer($0) }
        print("")
        reportFolders(location)
        print("")
        reportWeightCache(QuantizedWeightCache.standard, location)
        print("")
        // What the kernels run on here ($HIGGS_KERNELS may cap it, to check a machine with fewer instructions).
        let cores = System.physicalCores
        print("This machine: \(cores) \(cores == 1 ? "core" : "cores"), kernels \(ThreadPool.instructionSet)")
        let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        print("OpenBLAS: its \(BLAS.coreName) kernels\(forced)")
        print("")
        if modelOK && tokenizerOK {
            print("Both checkpoints are complete: `higgs` and `higgs generate` will use them.")
        } else {
            print("Get them with `higgs download` (or `huggingface-cli download \(EngineLocation.modelRepository)` and `... "
                  + "\(EngineLocation.tokenizerRepository)`: the Hugging Face cache is looked in), or point a flag, a variable or the "
                  + "config file at folders holding them. The studio offers the download itself when nothing names another folder.")
            throw ExitCode(1)
        }
    }

    /// The config file: not there, not read (why), or what it sets beside the folders, and keys it has that are
    /// not read (a misspelt `precison:` is otherwise silently without effect).
    private func reportConfig(_ location: EngineLocation) {
        let config = location.config, file = location.display(config.file)
        if let problem = location.configProblem { return print("config file: \(problem) (ignored)\n") }
        guard FileManager.default.fileExists(atPath: config.file.path) else { return }
        let settings: [(String, String?)] = [
            ("precision", config.precision), ("threads", config.threads.map(String.init)),
            ("audio_device", config.audioDevice), ("record_device", config.recordDevice),
            ("prefill_ahead", config.prefillAhead.map { $0 ? "on" : "off" }), ("voices", config.voices), ("scenes", config.scenes),
        ]
        let set = settings.compactMap { key, value in value.map { "\(key): \($0)" } }
        print("config file \(file)" + (set.isEmpty ? "" : ": " + set.joined(separator: ", ")))
        if !config.unknownKeys.isEmpty {
            print("  not read (unknown keys): \(config.unknownKeys.joined(separator: ", ")); it reads "
                  + StudioConfig.keys.joined(separator: ", "))
        }
        print("")
    }

    /// Prints the places and the chosen folder's contents; true when it looks complete.
    private func report(_ title: String, _ repository: String, _ places: [EngineLocation.Place], _ chosen: URL,
                        _ location: EngineLocation, inspect: (URL) throws -> [String]) -> Bool {
        print("\(title) (\(repository)):")
        for place in places {
            let what = place.folder.map { location.display($0) + (exists($0) ? "" : " (no such folder)") } ?? "—"
            print("  \(place.folder?.path == chosen.path ? "→" : " ") \(place.description): \(what)")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: chosen.path, isDirectory: &isFolder) else {
            print("    not usable: \(location.display(chosen)) does not exist")
            return false
        }
        guard isFolder.boolValue else {
            print("    not usable: \(location.display(chosen)) is a file; a checkpoint is a folder of files")
            return false
        }
        do {
            for line in try inspect(chosen) { print("    " + line) }
            return true
        } catch {
            print("    not usable: \(error)")
            return false
        }
    }

    /// The voices and scenes folders the studio and the commands use, and why those (the last place looked at is the
    /// source tree the binary was built in, which a binary on another machine does not have).
    private func reportFolders(_ location: EngineLocation) {
        for folder in [StudioFolders.find("Voices", flag: voices), StudioFolders.find("Scenes", flag: scenes)] {
            print("\(folder.name): " + (folder.problem ?? "\(location.display(folder.url)) (\(folder.reason))"))
        }
    }

    private func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// The quantized weights kept for later starts: each file's checkpoint, size, and whether a start would
    /// use it (it is gigabytes; a file no start uses can go).
    private func reportWeightCache(_ cache: QuantizedWeightCache, _ location: EngineLocation) {
        guard let folder = cache.folder else { return }
        let files = cache.files()
        let total = files.reduce(0) { $0 + $1.bytes }
        print("Quantized weights: \(location.display(folder))" + (files.isEmpty ? " (none yet)" : ", \(Download.Progress.bytes(total))"))
        for file in files {
            let standing = switch file.standing {
            case .current: ""
            case .checkpointChanged: ", for files since changed (the next start at \(file.precision) replaces it)"
            case .checkpointGone: ", its folder is not there (remove \(file.url.lastPathComponent) if it will not come back)"
            case .olderFormat: ", an older format no start reads (remove \(file.url.lastPathComponent))"
            }
            print("    \(file.precision) of \(location.display(URL(fileURLWithPath: file.checkpoint))): \(Download.Progress.bytes(file.bytes))\(standing)")
        }
    }

    static func size(_ url: URL) -> String {
        Download.Progress.bytes((try? FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)[.size] as? Int) ?? 0)
    }

    /// config.json, tokenizer.json and the weights' headers, checked against what the config implies.
    static func inspectModel(_ folder: URL) throws -> [String] {
        let configuration = try Configuration.load(folder)
        var lines = ["config.json: \(configuration.text.numHiddenLayers) layers, hidden \(configuration.text.hiddenSize), "
                     + "\(configuration.audioNumCodebooks) codebooks of \(configuration.audioCodebookSize)"]
        let tokenizer = folder.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizer.path) else { throw CheckpointError(url: tokenizer, "missing") }
        lines.append("tokenizer.json: \(size(tokenizer))")
        let checkpoint = try SafeTensorsCheckpoint(folder: folder)
        for shard in checkpoint.shards {
            let dtypes = Dictionary(grouping: shard.entries.values, by: \.dtype).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
            lines.append("\(shard.file.url.lastPathComponent): \(size(shard.file.url)), \(counted(shard.entries.count, "tensor")) (\(dtypes.joined(separator: ", ")))")
        }
        try checkpoint.verify(expected: configuration.expectedTensors)
        lines.append("every tensor the config implies is there, with its shape")
        return lines
    }

    /// config.json and model.pth's index of tensors, checked against the published layout.
    static func inspectTokenizer(_ folder: URL) throws -> [String] {
        let configURL = folder.appendingPathComponent(AudioTokenizer.configFileName)
        let weightsURL = folder.appendingPathComponent(AudioTokenizer.weightsFileName)
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw CheckpointError(url: configURL, "missing") }
        guard FileManager.default.fileExists(atPath: weightsURL.path) else { throw CheckpointError(url: weightsURL, "missing") }
        let archive = try TorchArchive(url: weightsURL)
        let tokenizer = try AudioTokenizer(folder: folder)
        return ["config.json: \(tokenizer.codebookCount) codebooks of \(tokenizer.codebookSize), \(tokenizer.sampleRate) Hz, "
                + "\(tokenizer.frameRate) frames/s",
                "model.pth: \(size(weightsURL)), \(counted(archive.tensorNames.count, "tensor")); the decoder loads"]
    }
}
