import Foundation
import Checkpoint
import Kernels

/// The Higgs Audio v2 generation model: the Llama 3 backbone with the DualFFN audio adapter, the audio
/// codebook embedding and the two output heads, with its weights used in place from the checkpoint.
///
/// A `Model` is immutable and may be shared; running it needs a `Session` (KV cache and scratch).
public final class Model: @unchecked Sendable {
    public let configuration: Configuration
    /// Keeps the memory mappings behind the weight matrices alive.
    let store: TensorStore

    let tokenEmbedding: TokenEmbedding
    let audioEmbedding: AudioCodebookEmbedding
    let layers: [DecoderLayer]
    let norm: RMSNorm
    let textHead: Matrix   // [vocab, hidden]
    let audioHead: Matrix  // [codebooks * entries, hidden]
    let rope: RotaryEmbedding

    /// How the weight matrices are held.
    public let precision: WeightPrecision
    /// How sessions store keys and values: Float32 with the published precision, so its results stay
    /// those of the reference; int8 rows with quantized weights, where reading the cache is a large
    /// part of a decode step once the context grows (the accuracy guards cover it: teacher-forced
    /// cosine q8 0.99971 and q4 0.99258 with it, 0.99974 and 0.99218 with halves).
    public var cachePrecision: KVPrecision { precision == .bf16 ? .float32 : .int8 }
    /// True when quantized weights were mapped from the cache rather than quantized at this load.
    public let reusedQuantizedWeights: Bool

    /// Loads `config.json` and the safetensors weights (single file or sharded) of a model folder.
    /// With `q8` or `q4`, the weight matrices are quantized at load (or mapped from `cache`); `progress`
    /// hears the fraction quantized so far (a first start takes tens of seconds at full size).
    public static func load(folder: URL, precision: WeightPrecision = .bf16, cache: QuantizedWeightCache = .standard,
                            progress: ((Double) -> Void)? = nil) throws -> Model {
        let configuration = try Configuration.load(folder)
        let checkpoint = try SafeTensorsCheckpoint(folder: folder)
        return try Model(configuration: configuration, store: checkpoint, precision: precision, cache: cache,
                         identity: Self.identity(of: folder), progress: progress)
    }

    /// Builds the model over the tensors of `store`, after checking that they are exactly the tensors the
    /// configuration implies (one error lists every missing, unexpected or misshaped tensor).
    /// `identity` names the checkpoint for the quantized-weight cache (a store with no identity is
    /// quantized in memory).
    public init(configuration c: Configuration, store: TensorStore, precision: WeightPrecision = .bf16,
                cache: QuantizedWeightCache = .disabled, identity: String? = nil,
                progress: ((Double) -> Void)? = nil) throws {
        try store.verify(expected: c.expectedTensors)
        configuration = c
        self.store = store
        self.precision = precision
        let t = c.text
        var read = WeightReader(store: store)
        var reused = false
        if precision != .bf16 {
            let weights = try QuantizedWeights.obtain(c.quantizableTensors, from: store, precision: precision,
                                                      cache: identity == nil ? .disabled : cache,
                                                      identity: identity ?? store.location, resident: c.readByAudioSteps,
                                                      progress: progress)
            read.quantized = weights.matrices
            reused = weights.reused
        }
        reusedQuantizedWeights = reused
        let h = t.hiddenSize, eps = t.rmsNormEps

        func norm(_ name: String) throws -> RMSNorm { RMSNorm(weight: try read.vector(name, count: h), epsilon: eps) }
        func feedForward(_ prefix: String) throws -> FeedForward {
            FeedForward(gate: try read.matrix(prefix + "gate_proj.weight", rows: t.intermediateSize, cols: h),
                        up: try read.matrix(prefix + "up_proj.weight", rows: t.intermediateSize, cols: h),
                        down: try read.matrix(prefix + "down_proj.weight", rows: h, cols: t.intermediateSize))
        }

        var layers: [DecoderLayer] = []
        for l in 0..<t.numHiddenLayers {
            let p = "layers.\(l)."
            let d = t.headDim
            let attention = Attention(
                query: try read.matrix(p + "self_attn.q_proj.weight", rows: t.numAttentionHeads * d, cols: h),
                key: try read.matrix(p + "self_attn.k_proj.weight", rows: t.numKeyValueHeads * d, cols: h),
                value: try read.matrix(p + "self_attn.v_proj.weight", rows: t.numKeyValueHeads * d, cols: h),
                output: try read.matrix(p + "self_attn.o_proj.weight", rows: h, cols: t.numAttentionHeads * d),
                heads: t.numAttentionHeads, kvHeads: t.numKeyValueHeads, headDim: d)
            let path = c.audioPath(layer: l)
            var audio: DecoderLayer.AudioBranch?
            if path == .separate {
                audio = DecoderLayer.AudioBranch(inputNorm: try norm(p + "audio_input_layernorm.weight"),
                                                 postAttentionNorm: try norm(p + "audio_post_attention_layernorm.weight"),
                                                 feedForward: try feedForward(p + "audio_mlp."))
            }
            layers.append(DecoderLayer(attention: attention, inputNorm: try norm(p + "input_layernorm.weight"),
                                       postAttentionNorm: try norm(p + "post_attention_layernorm.weight"),
                                       feedForward: try feedForward(p + "mlp."), audioPath: path, audio: audio))
        }
        self.layers = layers

        let entries = c.audioCodebookEntries
        tokenEmbedding = TokenEmbedding(table: try read.matrix("embed_tokens.weight", rows: t.vocabSize, cols: h))
        audioEmbedding = AudioCodebookEmbedding(
            table: try read.matrix("audio_codebook_embeddings.weight", rows: c.audioNumCodebooks * entries, cols: h),
            codebooks: c.audioNumCodebooks, entries: entries, average: c.audioEmbedAverage,
            projector: c.useAudioOutEmbedProjector ? try read.matrix("audio_out_embed_projector.weight", rows: h, cols: h) : nil)
        self.norm = try norm("norm.weight")
        textHead = try read.matrix("audio_decoder_proj.text_lm_head.weight", rows: t.vocabSize, cols: h)
        audioHead = try read.matrix("audio_decoder_proj.audio_lm_head.weight", rows: c.audioNumCodebooks * entries, cols: h)
        rope = RotaryEmbedding(t)
    }

    /// Checks that every token lies in the vocabulary and every code in its codebook's range.
    public func validate(_ input: ModelInput) throws {
        let c = configuration
        guard input.numCodebooks == c.audioNumCodebooks else {
            throw ModelInputError("the input has \(input.numCodebooks) codebooks per audio position, the model \(c.audioNumCodebooks)")
        }
        let vocabulary = c.text.vocabSize, entries = c.audioCodebookEntries
        for p in 0..<input.count {
            if input.kinds[p] == .text {
                let token = input.tokens[p]
                guard token >= 0 && token < vocabulary else {
                    throw ModelInputError("token id \(token) at position \(p) is outside the vocabulary (0..<\(vocabulary))")
                }
            } else {
                for (k, code) in input.frame(at: p).enumerated() where code < 0 || code >= entries {
                    throw ModelInputError("audio code \(code) of codebook \(k) at position \(p) is outside 0..<\(entries)")
                }
            }
        }
    }

    /// The matrices a forward step may multiply by.
    var linearMatrices: [Matrix] {
        var matrices = [textHead, audioHead]
        for layer in layers {
            let a = layer.attention
            matrices += [a.query, a.key, a.value, a.output, layer.feedForward.gate, layer.feedForward.up, layer.feedForward.down]
            if let audio = layer.audio {
                matrices += [audio.feedForward.gate, audio.feedForward.up, audio.feedForward.down]
            }
        }
        return matrices
    }

    /// Floats of scratch the products need for batches of up to `rows` positions (weight tiles, or the
    /// quantized inputs).
    func tileFloats(rows: Int) -> Int {
        (linearMatrices + [tokenEmbedding.table]).map {
            max(Linear.scratchCount($0, count: max(rows, 2)), Linear.scratchCount($0, count: 1))
        }.max() ?? 0
    }

    /// Bytes of weights one audio decoding step reads: every layer's attention and the feed-forward
    /// audio positions take, and the audio head (the floor of a step is this over the memory bandwidth).
    public var audioStepBytes: Int {
        var bytes = audioHead.byteCount
        for layer in layers {
            let a = layer.attention
            switch layer.audioPath {
            case .skipped:
                continue
            case .shared:
                bytes += [layer.feedForward.gate, layer.feedForward.up, layer.feedForward.down].map(\.byteCount).reduce(0, +)
            case .separate:
                let f = layer.audio!.feedForward
                bytes += [f.gate, f.up, f.down].map(\.byteCount).reduce(0, +)
            }
            bytes += [a.query, a.key, a.value, a.output].map(\.byteCount).reduce(0, +)
        }
        return bytes
    }

    /// Bytes of all weight matrices as held (quantized or mapped), embeddings included.
    public var weightBytes: Int {
        (linearMatrices + [tokenEmbedding.table, audioEmbedding.table]).map(\.byteCount).reduce(0, +)
    }

    /// Names the checkpoint by its files' names, sizes and modification times (for caches).
    public static func identity(of folder: URL) -> String {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0 == "config.json" || $0.hasSuffix(".safetensors") || $0.hasSuffix(".index.json")
        }.sorted()
        let parts = names.map { name -> String in
            let attributes = try? fm.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            let time = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name):\(size):\(time)"
        }
        return ([folder.standardizedFileURL.path] + parts).joined(separator: "|")
    }
}
