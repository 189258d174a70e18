import Foundation
import Checkpoint

/// The Higgs Audio v2 generation model's `config.json`, with the nested Llama `text_config`.
///
/// Keys that fix the shape of the weights are required; the rest take the reference's defaults
/// (`HiggsAudioConfig` in boson-multimodal). Unknown keys are ignored.
public struct Configuration: Decodable, Sendable, Equatable {
    public var text: TextConfiguration

    public var audioAdapterType: AudioAdapterType
    public var audioDualFFNLayers: [Int]
    public var audioNumCodebooks: Int
    public var audioCodebookSize: Int
    public var audioStreamBOSId: Int
    public var audioStreamEOSId: Int
    public var audioInTokenId: Int
    public var audioOutTokenId: Int
    public var audioOutBOSTokenId: Int
    public var audioEOSTokenId: Int
    public var padTokenId: Int
    public var useDelayPattern: Bool
    public var skipAudioTower: Bool
    public var encodeAudioInTokens: Bool
    public var audioEmbedAverage: Bool
    public var useAudioOutEmbedProjector: Bool
    public var useAudioOutSelfAttention: Bool
    public var useRQTransformer: Bool
    public var audioDecoderProjectionLayers: Int

    public enum AudioAdapterType: String, Decodable, Sendable {
        /// Every layer not in `audio_dual_ffn_layers` is a plain Llama layer for all positions.
        case dualFFN = "dual_ffn"
        /// Layers not in `audio_dual_ffn_layers` leave audio-out positions untouched.
        case dualFFNFastForward = "dual_ffn_fast_forward"
        case stack
    }

    /// Audio codebook entries per codebook, counting the stream bos and eos codes.
    public var audioCodebookEntries: Int { audioCodebookSize + 2 }

    public func isDualFFN(layer: Int) -> Bool {
        audioAdapterType != .stack && audioDualFFNLayers.contains(layer)
    }

    enum Keys: String, CodingKey {
        case text_config, audio_adapter_type, audio_dual_ffn_layers, audio_num_codebooks, audio_codebook_size
        case audio_stream_bos_id, audio_stream_eos_id, audio_in_token_idx, audio_out_token_idx
        case audio_out_bos_token_id, audio_eos_token_id, pad_token_id, use_delay_pattern, skip_audio_tower
        case encode_audio_in_tokens, audio_embed_avg, use_audio_out_embed_projector, use_audio_out_self_attention
        case use_rq_transformer, audio_decoder_proj_num_layers
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        text = try c.decode(TextConfiguration.self, forKey: .text_config)
        audioAdapterType = try c.decode(AudioAdapterType.self, forKey: .audio_adapter_type)
        audioDualFFNLayers = try c.decodeIfPresent([Int].self, forKey: .audio_dual_ffn_layers) ?? []
        audioNumCodebooks = try c.decode(Int.self, forKey: .audio_num_codebooks)
        audioCodebookSize = try c.decode(Int.self, forKey: .audio_codebook_size)
        audioStreamBOSId = try c.decodeIfPresent(Int.self, forKey: .audio_stream_bos_id) ?? 1024
        audioStreamEOSId = try c.decodeIfPresent(Int.self, forKey: .audio_stream_eos_id) ?? 1025
        audioInTokenId = try c.decodeIfPresent(Int.self, forKey: .audio_in_token_idx) ?? 128015
        audioOutTokenId = try c.decodeIfPresent(Int.self, forKey: .audio_out_token_idx) ?? 128016
        audioOutBOSTokenId = try c.decodeIfPresent(Int.self, forKey: .audio_out_bos_token_id) ?? 128013
        audioEOSTokenId = try c.decodeIfPresent(Int.self, forKey: .audio_eos_token_id) ?? 128012
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .pad_token_id) ?? 128001
        useDelayPattern = try c.decodeIfPresent(Bool.self, forKey: .use_delay_pattern) ?? false
        skipAudioTower = try c.decodeIfPresent(Bool.self, forKey: .skip_audio_tower) ?? false
        encodeAudioInTokens = try c.decodeIfPresent(Bool.self, forKey: .encode_audio_in_tokens) ?? false
        audioEmbedAverage = try c.decodeIfPresent(Bool.self, forKey: .audio_embed_avg) ?? false
        useAudioOutEmbedProjector = try c.decodeIfPresent(Bool.self, forKey: .use_audio_out_embed_projector) ?? false
        useAudioOutSelfAttention = try Self.decodeFlag(c, .use_audio_out_self_attention)
        useRQTransformer = try c.decodeIfPresent(Bool.self, forKey: .use_rq_transformer) ?? false
        audioDecoderProjectionLayers = try c.decodeIfPresent(Int.self, forKey: .audio_decoder_proj_num_layers) ?? 0
    }

    /// The published config writes some flags as 0/1 rather than booleans.
    private static func decodeFlag(_ c: KeyedDecodingContainer<Keys>, _ key: Keys) throws -> Bool {
        if let b = try? c.decodeIfPresent(Bool.self, forKey: key) { return b }
        return (try c.decodeIfPresent(Int.self, forKey: key) ?? 0) != 0
    }

    /// Reads `config.json` (a file, or the folder holding it).
    public static func load(_ url: URL) throws -> Configuration {
        var isFolder: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
            ? url.appendingPathComponent("config.json") : url
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw CheckpointError(url: file, FileManager.default.fileExists(atPath: file.path) ? "cannot read" : "file not found")
        }
        let config: Configuration
        do {
            config = try JSONDecoder().decode(Configuration.self, from: data)
        } catch let error as DecodingError {
            throw CheckpointError(url: file, Self.describe(error))
        } catch {
            throw CheckpointError(url: file, "not a valid config (\(error))")
        }
        try config.validate(file: file)
        return config
    }

    /// Refuses configurations this engine does not implement, before any weight is read.
    func validate(file: URL) throws {
        func fail(_ message: String) throws { throw CheckpointError(url: file, message) }
        if audioAdapterType == .stack { try fail("audio_adapter_type 'stack' is not supported (expected dual_ffn or dual_ffn_fast_forward)") }
        if useAudioOutSelfAttention { try fail("use_audio_out_self_attention is not supported") }
        if useRQTransformer { try fail("use_rq_transformer is not supported") }
        if audioDecoderProjectionLayers != 0 { try fail("audio_decoder_proj_num_layers > 0 is not supported") }
        if !skipAudioTower && !encodeAudioInTokens { try fail("the Whisper audio tower (skip_audio_tower false) is not supported") }
        if audioNumCodebooks < 1 || audioCodebookSize < 1 { try fail("audio_num_codebooks and audio_codebook_size must be positive") }
        if let bad = audioDualFFNLayers.first(where: { $0 < 0 || $0 >= text.numHiddenLayers }) {
            try fail("audio_dual_ffn_layers names layer \(bad), but text_config has \(text.numHiddenLayers) layers")
        }
        try text.validate(file: file)
    }

    /// Every tensor name the checkpoint must hold, with its shape.
    public var expectedTensors: [String: [Int]] {
        let h = text.hiddenSize, i = text.intermediateSize, d = text.headDim
        var t: [String: [Int]] = [
            "embed_tokens.weight": [text.vocabSize, h],
            "norm.weight": [h],
            "audio_codebook_embeddings.weight": [audioNumCodebooks * audioCodebookEntries, h],
            "audio_decoder_proj.audio_lm_head.weight": [audioNumCodebooks * audioCodebookEntries, h],
            "audio_decoder_proj.text_lm_head.weight": [text.vocabSize, h],
        ]
        if useAudioOutEmbedProjector { t["audio_out_embed_projector.weight"] = [h, h] }
        for layer in 0..<text.numHiddenLayers {
            let p = "layers.\(layer)."
            t[p + "self_attn.q_proj.weight"] = [text.numAttentionHeads * d, h]
            t[p + "self_attn.k_proj.weight"] = [text.numKeyValueHeads * d, h]
            t[p + "self_attn.v_proj.weight"] = [text.numKeyValueHeads * d, h]
            t[p + "self_attn.o_proj.weight"] = [h, text.numAttentionHeads * d]
            var mlps = ["mlp."]
            t[p + "input_layernorm.weight"] = [h]
            t[p + "post_attention_layernorm.weight"] = [h]
            if isDualFFN(layer: layer) {
                mlps.append("audio_mlp.")
                t[p + "audio_input_layernorm.weight"] = [h]
                t[p + "audio_post_attention_layernorm.weight"] = [h]
            }
            for m in mlps {
                t[p + m + "gate_proj.weight"] = [i, h]
                t[p + m + "up_proj.weight"] = [i, h]
                t[p + m + "down_proj.weight"] = [h, i]
            }
        }
        return t
    }

    /// Whether an audio step reads the weight matrix `name`: the attention and feed-forward its audio
    /// positions go through (a DualFFN layer's audio FFN, another layer's shared FFN unless it is fast-
    /// forwarded) and the audio head. A DualFFN layer's text FFN and the text head serve text positions only.
    public func readByAudioSteps(_ name: String) -> Bool {
        if name.hasPrefix("audio_decoder_proj.") { return name == "audio_decoder_proj.audio_lm_head.weight" }
        let parts = name.split(separator: ".")
        guard parts.count > 2, parts[0] == "layers", let layer = Int(parts[1]) else { return true }
        let path = audioPath(layer: layer)
        switch parts[2] {
        case "audio_mlp": return true
        case "mlp": return path == .shared
        case "self_attn": return path != .skipped
        default: return true
        }
    }

    /// How audio positions go through layer `layer`.
    func audioPath(layer: Int) -> DecoderLayer.AudioPath {
        if isDualFFN(layer: layer) { return .separate }
        return audioAdapterType == .dualFFNFastForward ? .skipped : .shared
    }

    /// The weight matrices the kernels multiply by (name -> [rows, cols]): what q8 and q4 quantize.
    /// Embedding tables are looked up a row at a time and stay as stored.
    public var quantizableTensors: [String: [Int]] {
        expectedTensors.filter { name, shape in
            shape.count == 2 && name != "embed_tokens.weight" && name != "audio_codebook_embeddings.weight"
                && name != "audio_out_embed_projector.weight"
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let full = path(context.codingPath + [key])
            return "missing required key '\(full)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "key '\(path(context.codingPath))' has the wrong type (\(context.debugDescription))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "key '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "not a valid config"
        }
    }
}

/// The Llama 3 backbone's configuration (`text_config`).
public struct TextConfiguration: Decodable, Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var ropeScaling: RopeScaling?
    public var maxPositionEmbeddings: Int
    public var bosTokenId: Int
    public var eosTokenId: Int
    /// `hidden_act`: the MLP activation (only SiLU, i.e. SwiGLU, is implemented).
    public var hiddenActivation: String
    /// `attention_bias` / `mlp_bias`: biases on the projections (Llama 3 has none; not implemented).
    public var attentionBias: Bool
    public var mlpBias: Bool
    /// `pretraining_tp`: > 1 splits the projections into slices, which changes rounding only; accepted as 1.
    public var pretrainingTP: Int

    /// `rope_scaling` of type `llama3`: long wavelengths slowed by `factor`, short ones kept,
    /// a smooth blend between.
    public struct RopeScaling: Decodable, Sendable, Equatable {
        public var ropeType: String
        public var factor: Float
        public var lowFreqFactor: Float
        public var highFreqFactor: Float
        public var originalMaxPositionEmbeddings: Int

        enum Keys: String, CodingKey {
            case rope_type, type, factor, low_freq_factor, high_freq_factor, original_max_position_embeddings
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            ropeType = try c.decodeIfPresent(String.self, forKey: .rope_type) ?? c.decode(String.self, forKey: .type)
            factor = try c.decodeIfPresent(Float.self, forKey: .factor) ?? 1
            lowFreqFactor = try c.decodeIfPresent(Float.self, forKey: .low_freq_factor) ?? 1
            highFreqFactor = try c.decodeIfPresent(Float.self, forKey: .high_freq_factor) ?? 4
            originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .original_max_position_embeddings) ?? 8192
        }
    }

    enum Keys: String, CodingKey {
        case hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads
        case head_dim, vocab_size, rms_norm_eps, rope_theta, rope_scaling, max_position_embeddings
        case bos_token_id, eos_token_id, hidden_act, attention_bias, mlp_bias, pretraining_tp
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hidden_size)
        intermediateSize = try c.decode(Int.self, forKey: .intermediate_size)
        numHiddenLayers = try c.decode(Int.self, forKey: .num_hidden_layers)
        numAttentionHeads = try c.decode(Int.self, forKey: .num_attention_heads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .num_key_value_heads) ?? numAttentionHeads
        vocabSize = try c.decode(Int.self, forKey: .vocab_size)
        headDim = try c.decodeIfPresent(Int.self, forKey: .head_dim) ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rms_norm_eps) ?? 1e-6
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .rope_theta) ?? 10000
        ropeScaling = try c.decodeIfPresent(RopeScaling.self, forKey: .rope_scaling)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .max_position_embeddings) ?? 2048
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bos_token_id) ?? 128000
        eosTokenId = (try? c.decodeIfPresent(Int.self, forKey: .eos_token_id)) ?? 128001
        hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hidden_act) ?? "silu"
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attention_bias) ?? false
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlp_bias) ?? false
        pretrainingTP = try c.decodeIfPresent(Int.self, forKey: .pretraining_tp) ?? 1
    }

    func validate(file: URL) throws {
        func fail(_ message: String) throws { throw CheckpointError(url: file, "text_config: " + message) }
        for (name, value) in [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                              ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
                              ("num_key_value_heads", numKeyValueHeads), ("head_dim", headDim), ("vocab_size", vocabSize)]
        where value <= 0 {
            try fail("\(name) must be positive, got \(value)")
        }
        if numAttentionHeads % numKeyValueHeads != 0 {
            try fail("num_attention_heads (\(numAttentionHeads)) is not a multiple of num_key_value_heads (\(numKeyValueHeads))")
        }
        if let s = ropeScaling, s.ropeType != "llama3", s.ropeType != "default" {
            try fail("rope_scaling type '\(s.ropeType)' is not supported (expected llama3)")
        }
        if headDim % 2 != 0 { try fail("head_dim must be even for rotary embeddings, got \(headDim)") }
        if hiddenActivation != "silu" { try fail("hidden_act '\(hiddenActivation)' is not supported (expected silu)") }
        if attentionBias || mlpBias { try fail("attention_bias and mlp_bias are not supported") }
    }
}
