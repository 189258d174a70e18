import ArgumentParser
import Checkpoint
import Foundation
import Generation
import Kernels
import Transformer

/// `higgs bench step`: prefill tokens/s and decode ms/step of the transformer on this machine, on a
/// random-weight checkpoint of the published shape (written to a temporary folder) or a given model.
struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time a prefill and single decoding steps of the generation model (random weights unless --model)."
    )

    @Option(help: "A model folder to time instead of a random checkpoint.")
    var model: String?

    @Option(help: "Decoder layers of the random checkpoint (the published model has 28).")
    var layers = 28

    @Option(help: "Prompt positions to prefill.")
    var prompt = 500

    @Option(help: "Audio decoding steps to time.")
    var steps = 20

    @Option(help: "Text decoding steps to time (they read the text head).")
    var textSteps = 3

    @Flag(help: "Keep the random checkpoint folder.")
    var keep = false

    func run() throws {
        let folder: URL
        var temporary: URL?
        if let model {
            folder = URL(fileURLWithPath: model)
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("higgs-bench-\(UUID().uuidString)")
            let start = Date()
            try RandomCheckpoint.write(to: dir, layers: layers)
            print(String(format: "wrote a random %d-layer checkpoint in the published layout to %@ (%.1f s)",
                         layers, dir.path, Date().timeIntervalSince(start)))
            folder = dir
            temporary = dir
        }
        defer { if let temporary, !keep { try? FileManager.default.removeItem(at: temporary) } }

        var start = Date()
        let loaded = try Model.load(folder: folder)
        print(String(format: "load: %.2f s (memory-mapped)", Date().timeIntervalSince(start)))
        let c = loaded.configuration

        // A prompt of text with a reference clip as audio-out positions, ending with <|audio_out_bos|>.
        var random = SeededRandom(seed: 1)
        var input = ModelInput(numCodebooks: c.audioNumCodebooks)
        let clip = min(prompt / 3, 250)
        for p in 0..<prompt - 1 {
            if p >= prompt / 3 && p < prompt / 3 + clip {
                input.appendAudio(.audioOut, frame: (0..<c.audioNumCodebooks).map { _ in Int(random.next() % UInt64(c.audioCodebookSize)) })
            } else {
                input.appendText(Int(random.next() % 128_000) % c.text.vocabSize)
            }
        }
        input.appendText(c.audioOutBOSTokenId)

        let session = Session(model: loaded, capacity: prompt + steps + textSteps + 8)
        start = Date()
        try session.append(input, head: .none)
        let prefill = Date().timeIntervalSince(start)
        print(String(format: "prefill: %d positions in %.2f s = %.1f positions/s (BLAS threads %d)",
                     prompt, prefill, Double(prompt) / prefill, BLAS.threads))

        var frame = [Int](repeating: c.audioStreamBOSId, count: c.audioNumCodebooks)
        var step = ModelInput(numCodebooks: c.audioNumCodebooks)
        step.reserveCapacity(1)
        let entries = c.audioCodebookEntries
        var times: [Double] = []
        times.reserveCapacity(steps + textSteps)
        for _ in 0..<steps {
            step.removeAll()
            step.appendAudio(.audioOut, frame: frame)
            let t = Date()
            try session.append(step, head: .audio)
            let logits = session.audioLogits
            for k in 0..<c.audioNumCodebooks {
                frame[k] = Vector.argmax(logits.baseAddress! + k * entries, count: entries)
            }
            times.append(Date().timeIntervalSince(t))
        }
        report("audio step", times)
        if !times.isEmpty {
            print(String(format: "audio frames: %.1f per second (real time needs 25)", 1 / median(times)))
        }

        times = []
        var token = c.audioEOSTokenId
        for _ in 0..<textSteps {
            step.removeAll()
            step.appendText(token)
            let t = Date()
            try session.append(step, head: .text)
            token = Vector.argmax(session.textLogits.baseAddress!, count: c.text.vocabSize)
            times.append(Date().timeIntervalSince(t))
        }
        report("text step", times)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    private func report(_ name: String, _ times: [Double]) {
        guard !times.isEmpty else { return }
        let ms = times.map { $0 * 1000 }
        print(String(format: "%@: median %.1f ms, mean %.1f ms, min %.1f ms over %d steps", name,
                     median(ms), ms.reduce(0, +) / Double(ms.count), ms.min()!, ms.count))
    }
}

/// A checkpoint in the published layout (config.json keys, tensor names, bf16) with random weights.
enum RandomCheckpoint {
    /// The published config, with `layers` decoder layers.
    static func config(layers: Int) -> [String: Any] {
        [
            "architectures": ["HiggsAudioModel"], "model_type": "higgs_audio",
            "audio_adapter_type": "dual_ffn_fast_forward", "audio_dual_ffn_layers": Array(0..<layers),
            "audio_codebook_size": 1024, "audio_num_codebooks": 8, "audio_stream_bos_id": 1024, "audio_stream_eos_id": 1025,
            "audio_decoder_proj_num_layers": 0, "audio_embed_avg": false, "audio_in_token_idx": 128015,
            "audio_out_token_idx": 128016, "audio_out_bos_token_id": 128013, "audio_eos_token_id": 128012,
            "pad_token_id": 128001, "encode_audio_in_tokens": true, "encode_whisper_embed": false,
            "skip_audio_tower": true, "use_delay_pattern": true, "use_audio_out_embed_projector": false,
            "use_audio_out_self_attention": 0, "use_rq_transformer": false, "hidden_size": 3072,
            "audio_ffn_hidden_size": 3072, "audio_ffn_intermediate_size": 8192, "torch_dtype": "bfloat16",
            "text_config": [
                "model_type": "llama", "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": layers,
                "num_attention_heads": 24, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256,
                "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "max_position_embeddings": 131072,
                "rope_scaling": ["factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                 "original_max_position_embeddings": 8192, "rope_type": "llama3"],
                "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true,
                "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16",
            ] as [String: Any],
        ]
    }

    static func write(to folder: URL, layers: Int) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = config(layers: layers)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: folder.appendingPathComponent("config.json"))
        let tensors = try Configuration.load(folder).expectedTensors.sorted { $0.key < $1.key }

        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        for (name, shape) in tensors {
            let bytes = shape.reduce(1, *) * 2
            header[name] = ["dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while headerData.count % 8 != 0 { headerData.append(0x20) }

        let url = folder.appendingPathComponent("model.safetensors")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let file = try FileHandle(forWritingTo: url)
        defer { try? file.close() }
        var length = UInt64(headerData.count).littleEndian
        try file.write(contentsOf: Data(bytes: &length, count: 8))
        try file.write(contentsOf: headerData)

        // Small random values (|w| in [2^-7, 2^-6), random sign); RMSNorm weights are 1.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let chunk = 1 << 24
        var buffer = [UInt16](repeating: 0, count: chunk)
        for (_, shape) in tensors {
            var remaining = shape.reduce(1, *)
            let isNorm = shape.count == 1
            while remaining > 0 {
                let n = min(chunk, remaining)
                buffer.withUnsafeMutableBufferPointer { b in
                    if isNorm {
                        for i in 0..<n { b[i] = 0x3F80 }
                    } else {
                        var i = 0
                        while i < n {
                            state ^= state << 13; state ^= state >> 7; state ^= state << 17
                            var bits = state
                            for _ in 0..<4 where i < n {
                                b[i] = UInt16(truncatingIfNeeded: (bits & 0x807F) | 0x3C00)
                                bits >>= 16
                                i += 1
                            }
                        }
                    }
                }
                try buffer.withUnsafeBytes { try file.write(contentsOf: Data(bytes: $0.baseAddress!, count: n * 2)) }
                remaining -= n
            }
        }
    }
}
