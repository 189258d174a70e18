import Foundation
import Checkpoint

/// Checkpoints in the published layout (config.json keys, tensor names, bf16 safetensors) with seeded
/// random weights: the full-size model for benchmarks, and moderate ones for accuracy tests.
public enum RandomCheckpoint {
    /// The published config (`config.json` of higgs-audio-v2-generation-3B-base) with the given sizes.
    public static func config(
        layers: Int = 28, hidden: Int = 3072, intermediate: Int = 8192, heads: Int = 24, kvHeads: Int = 8,
        headDim: Int = 128, vocabulary: Int = 128_256
    ) -> [String: Any] {
        // Special ids must lie in the vocabulary; a reduced one takes its last 256 ids for them.
        let special = vocabulary >= 128_256 ? 128_000 : vocabulary - 256
        return [
            "architectures": ["HiggsAudioModel"], "model_type": "higgs_audio",
            "audio_adapter_type": "dual_ffn_fast_forward", "audio_dual_ffn_layers": Array(0..<layers),
            "audio_codebook_size": 1024, "audio_num_codebooks": 8, "audio_stream_bos_id": 1024, "audio_stream_eos_id": 1025,
            "audio_decoder_proj_num_layers": 0, "audio_embed_avg": false, "audio_in_token_idx": special + 15,
            "audio_out_token_idx": special + 16, "audio_out_bos_token_id": special + 13, "audio_eos_token_id": special + 12,
            "pad_token_id": special + 1, "encode_audio_in_tokens": true, "encode_whisper_embed": false,
            "skip_audio_tower": true, "use_delay_pattern": true, "use_audio_out_embed_projector": false,
            "use_audio_out_self_attention": 0, "use_rq_transformer": false, "hidden_size": hidden,
            "audio_ffn_hidden_size": hidden, "audio_ffn_intermediate_size": intermediate, "torch_dtype": "bfloat16",
            "text_config": [
                "model_type": "llama", "hidden_size": hidden, "intermediate_size": intermediate, "num_hidden_layers": layers,
                "num_attention_heads": heads, "num_key_value_heads": kvHeads, "head_dim": headDim, "vocab_size": vocabulary,
                "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "max_position_embeddings": 131072,
                "rope_scaling": ["factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                 "original_max_position_embeddings": 8192, "rope_type": "llama3"],
                "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true,
                "bos_token_id": special, "eos_token_id": special + 1, "torch_dtype": "bfloat16",
            ] as [String: Any],
        ]
    }

    /// Writes `config` and bf16 weights drawn from a seeded generator to `folder`: matrices roughly
    /// normal with standard deviation `scale`, norm weights around 1.
    public static func write(to folder: URL, config: [String: Any], seed: UInt64 = 1, scale: Float = 0.02,
                             scaleOf: (String) -> Float? = { _ in nil }) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: folder.appendingPathComponent("config.json"))
        let shapes = try Configuration.load(folder).expectedTensors.sorted { $0.key < $1.key }
        let entries = shapes.map { SafeTensorsWriter.Entry(name: $0.key, dtype: .bf16, shape: $0.value) }
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func uniform() -> Float {  // xorshift64, in [-1, 1)
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        try SafeTensorsWriter.write(entries, to: folder.appendingPathComponent("model.safetensors")) { entry, buffer in
            let values = buffer.bindMemory(to: UInt16.self)
            let isNorm = entry.shape.count == 1
            let scale = scaleOf(entry.name) ?? scale
            for i in 0..<values.count {
                // A sum of three uniforms is close to normal; its standard deviation is 1.
                let value = isNorm ? 1 + 0.1 * uniform() : scale * (uniform() + uniform() + uniform())
                values[i] = UInt16(truncatingIfNeeded: value.bitPattern >> 16)
            }
        }
    }
}
