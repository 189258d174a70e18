import AudioCodec
import Foundation
import TestSupport

/// Runs the `higgs` binary that `swift test` built beside this test bundle, as a user would.
enum CLI {
    static let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("higgs")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `higgs arguments...` in `folder`, with HOME there too so nothing of the user's is found or written.
    static func run(_ arguments: [String], in folder: URL) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = folder.path
        for name in ["HIGGS_MODEL", "HIGGS_AUDIO_TOKENIZER", "XDG_CONFIG_HOME", "HF_HOME", "HF_HUB_CACHE"] {
            environment[name] = nil
        }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the process runs, so neither fills up and blocks it.
        final class Box: @unchecked Sendable { var data = Data() }
        let errData = Box()
        let reader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }
}

/// Checkpoint folders for the commands: the committed geometry-A weights with the reduced tokenizer, and
/// random audio tokenizers written in the published layout at small widths.
enum CLIFixtures {
    static func modelFolder(in folder: URL) throws -> URL {
        let model = folder.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let weights = Fixtures.url("TransformerTests", "geometry-a")
        for name in try FileManager.default.contentsOfDirectory(atPath: weights.path) {
            try FileManager.default.createSymbolicLink(at: model.appendingPathComponent(name),
                                                       withDestinationURL: weights.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: Fixtures.url("EngineTests", "tokenizer-a.json"),
                                         to: model.appendingPathComponent("tokenizer.json"))
        return model
    }

    static func audioTokenizer(in folder: URL, bins: Int = 1024) throws -> URL {
        let tokenizer = folder.appendingPathComponent("tokenizer-\(bins)")
        // The widths of the committed codec fixture (Tools/fixtures/codec_cases.py).
        var widths = TokenizerLayout.Widths()
        widths.encoderChannels = 2
        widths.decoderChannels = 64
        widths.semantic = 128
        widths.hubertLayers = 2
        widths.hubertFeatures = 32
        widths.hubertIntermediate = 256
        widths.positionalKernel = 16
        widths.positionalGroups = 16
        let config = #"{"n_filters": 32, "D": 16, "codebook_dim": 8, "target_bandwidths": [0.5, 1, 1.5, 2, 4], "ratios": [8, 5, 4, 2, 3], "sample_rate": 24000, "bins": \#(bins), "n_q": 8, "semantic_techer": "hubert_base_general"}"#
        try TokenizerLayout.writeRandomFolder(tokenizer, configJSON: config, widths: widths, seed: 7)
        return tokenizer
    }
}
