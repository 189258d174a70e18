import AudioCodec
import Foundation

/// Checkpoint folders for tests that run the whole pipeline: the committed geometry-A weights with the
/// reduced tokenizer beside them, and random audio tokenizers written in the published layout at small widths.
public enum CheckpointFixtures {
    public static func modelFolder(in folder: URL) throws -> URL {
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

    public static func audioTokenizer(in folder: URL, bins: Int = 1024) throws -> URL {
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
