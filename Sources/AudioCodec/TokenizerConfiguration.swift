import Checkpoint
import Foundation

/// The audio tokenizer's `config.json`, as published:
/// `{"n_filters": 32, "D": 256, "codebook_dim": 64, "target_bandwidths": [...], "ratios": [8, 5, 4, 2, 3],
///   "sample_rate": 24000, "bins": 1024, "n_q": 8, "semantic_techer": "hubert_base_general"}`.
///
/// Widths the config does not state (the acoustic encoder's and decoder's channels, the HuBERT
/// sizes, the quantizer's width) are read off the tensor shapes when the weights load.
public struct TokenizerConfiguration: Decodable, Equatable, Sendable {
    /// Channels of the acoustic latent (`D`).
    public var latentChannels: Int
    /// Width of each codebook's entries (`codebook_dim`); nil when the codebooks have the quantizer's width.
    public var codebookDimension: Int?
    /// Down-sampling factors of the acoustic encoder (their product is the samples per frame).
    public var ratios: [Int]
    public var sampleRate: Int
    /// Entries per codebook (`bins`).
    public var codebookSize: Int
    /// Number of codebooks (`n_q`).
    public var codebookCount: Int
    /// `semantic_techer`: which semantic model feeds the encoder.
    public var semanticTeacher: String
    /// The semantic model's input rate (16 kHz for HuBERT), `semantic_sample_rate` when given.
    public var semanticSampleRate: Int
    /// `downsample_mode`: how the 50 Hz semantic features step down to the frame rate.
    public var downsampleMode: String

    enum CodingKeys: String, CodingKey {
        case latentChannels = "D", codebookDimension = "codebook_dim", ratios, sampleRate = "sample_rate"
        case codebookSize = "bins", codebookCount = "n_q", semanticTeacher = "semantic_techer"
        case semanticSampleRate = "semantic_sample_rate", downsampleMode = "downsample_mode"
    }

    public init(from decoder: Decoder) throws {
        // Defaults are the reference constructor's.
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latentChannels = try c.decodeIfPresent(Int.self, forKey: .latentChannels) ?? 128
        codebookDimension = try c.decodeIfPresent(Int.self, forKey: .codebookDimension)
        ratios = try c.decodeIfPresent([Int].self, forKey: .ratios) ?? [8, 5, 4, 2]
        sampleRate = try c.decodeIfPresent(Int.self, forKey: .sampleRate) ?? 16000
        codebookSize = try c.decodeIfPresent(Int.self, forKey: .codebookSize) ?? 1024
        codebookCount = try c.decodeIfPresent(Int.self, forKey: .codebookCount) ?? 8
        semanticTeacher = try c.decodeIfPresent(String.self, forKey: .semanticTeacher) ?? "hubert_base_general"
        semanticSampleRate = try c.decodeIfPresent(Int.self, forKey: .semanticSampleRate) ?? 16000
        downsampleMode = try c.decodeIfPresent(String.self, forKey: .downsampleMode) ?? "step_down"
    }

    /// Reads and checks `config.json`; problems are one-line errors naming the file.
    public static func read(_ url: URL) throws -> TokenizerConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError(url: url, FileManager.default.fileExists(atPath: url.path) ? "cannot read" : "file not found")
        }
        let config: TokenizerConfiguration
        do {
            config = try JSONDecoder().decode(TokenizerConfiguration.self, from: data)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw CheckpointError(url: url, "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw CheckpointError(url: url, "not a valid tokenizer config (a JSON object expected)")
        }
        try config.validate(file: url.path)
        return config
    }

    func validate(file: String) throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem) }
        guard !ratios.isEmpty, ratios.count <= 16, ratios.allSatisfy({ (1...64).contains($0) }) else {
            throw fail("ratios \(ratios) must be factors from 1 to 64")
        }
        guard (1000...384_000).contains(sampleRate) else { throw fail("sample_rate \(sampleRate) is out of range") }
        guard (1...64).contains(codebookCount) else { throw fail("n_q \(codebookCount) is out of range") }
        guard (2...1 << 20).contains(codebookSize) else { throw fail("bins \(codebookSize) is out of range") }
        guard (1...65536).contains(latentChannels) else { throw fail("D \(latentChannels) is out of range") }
        guard ["hubert_base_general", "hubert_base"].contains(semanticTeacher) else {
            throw fail("semantic_techer '\(semanticTeacher)' is not supported (hubert_base_general or hubert_base expected)")
        }
        guard downsampleMode == "step_down" else { throw fail("downsample_mode '\(downsampleMode)' is not supported (step_down expected)") }
        guard (1000...384_000).contains(semanticSampleRate), semanticDownsampleFactor >= 1 else {
            throw fail("ratios \(ratios) at \(sampleRate) Hz do not give a whole number of semantic frames per code frame")
        }
    }

    /// Samples of audio per code frame (960 for the published tokenizer).
    public var samplesPerFrame: Int { ratios.reduce(1, *) }

    /// Code frames per second, rounded up as the reference does (25 for the published tokenizer).
    public var frameRate: Int { (sampleRate + samplesPerFrame - 1) / samplesPerFrame }

    /// How many 50 Hz semantic frames make one code frame: `hop / (rate / semantic rate) / 320`, truncated.
    public var semanticDownsampleFactor: Int {
        Int(Double(samplesPerFrame) / (Double(sampleRate) / Double(semanticSampleRate)) / 320)
    }
}
