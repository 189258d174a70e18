import Checkpoint
import Foundation

extension TokenizerLayout {
    /// Writes a tokenizer folder of random weights in the published layout (`config.json` as given, and
    /// `model.pth` written as `torch.save` writes a state dict): for benchmarks at full size, and for
    /// tests that need a tokenizer whose codebooks match a model's.
    public static func writeRandomFolder(_ folder: URL, configJSON: String, widths: Widths = .published, seed: UInt64 = 1) throws {
        let config = try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(configJSON.utf8))
        let store = randomStore(config, widths: widths, seed: seed)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(configJSON.utf8).write(to: folder.appendingPathComponent(AudioTokenizer.configFileName), options: .atomic)
        let written = tensors(config, widths: widths).map { t -> TorchArchiveWriter.Tensor in
            TorchArchiveWriter.Tensor(name: t.name, dtype: .f32, shape: t.shape, bytes: Data(store.tensorIfPresent(t.name)!.bytes))
        }
        try TorchArchiveWriter.write(written, to: folder.appendingPathComponent(AudioTokenizer.weightsFileName))
    }

    /// The published config.json.
    public static let publishedConfigJSON = #"{"n_filters": 32, "D": 256, "codebook_dim": 64, "target_bandwidths": [0.5, 1, 1.5, 2, 4], "ratios": [8, 5, 4, 2, 3], "sample_rate": 24000, "bins": 1024, "n_q": 8, "semantic_techer": "hubert_base_general"}"#
}
