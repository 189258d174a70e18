import Checkpoint
import Foundation

/// The tensors of a tokenizer state dict in the published key layout, derived from the config and
/// the widths the reference fixes in code (the acoustic encoder starts at 64 channels, the decoder
/// at 1024, the semantic model is HuBERT-base): 602 tensors and 201,426,474 values when published.
///
/// Benchmarks build full-size random checkpoints from it; tests check it against the reference.
public enum TokenizerLayout {
    public struct Widths: Sendable {
        public var encoderChannels = 64
        public var decoderChannels = 1024
        public var semantic = 768
        public var hubertLayers = 12
        public var hubertFeatures = 512
        public var hubertIntermediate = 3072
        public var positionalKernel = 128
        public var positionalGroups = 16

        public init() {}

        public static let published = Widths()
    }

    /// What a tensor is, so random weights can be made at sensible scales.
    public enum Role: Sendable {
        case weight(fanIn: Int)
        case bias
        case snakeAlpha
        case normWeight
        case normBias
        case weightNormMagnitude(residual: Bool)
        case codebook
        case buffer(Float)
    }

    public struct Tensor: Sendable {
        public let name: String
        public let shape: [Int]
        public let role: Role
    }

    public static func tensors(_ config: TokenizerConfiguration, widths: Widths = .published) -> [Tensor] {
        var out: [Tensor] = []
        func add(_ name: String, _ shape: [Int], _ role: Role) { out.append(Tensor(name: name, shape: shape, role: role)) }
        func weightNorm(_ p: String, _ shape: [Int], axis: Int = 0, residual: Bool = false, bias: Int?) {
            var g = [Int](repeating: 1, count: shape.count)
            g[axis] = shape[axis]
            add(p + ".weight_g", g, .weightNormMagnitude(residual: residual))
            add(p + ".weight_v", shape, .weight(fanIn: shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1))
            if let bias { add(p + ".bias", [bias], .bias) }
        }
        func snake(_ p: String, _ c: Int) { add(p + ".alpha", [1, c, 1], .snakeAlpha) }
        func residualUnit(_ p: String, _ c: Int) {
            snake(p + ".block.0", c)
            weightNorm(p + ".block.1", [c, c, 7], residual: true, bias: c)
            snake(p + ".block.2", c)
            weightNorm(p + ".block.3", [c, c, 1], residual: true, bias: c)
        }
        func linear(_ p: String, _ o: Int, _ i: Int) { add(p + ".weight", [o, i], .weight(fanIn: i)); add(p + ".bias", [o], .bias) }
        func norm(_ p: String, _ c: Int) { add(p + ".weight", [c], .normWeight); add(p + ".bias", [c], .normBias) }
        func conv(_ p: String, _ o: Int, _ i: Int, _ k: Int, bias: Bool) {
            add(p + ".weight", [o, i, k], .weight(fanIn: i * k))
            if bias { add(p + ".bias", [o], .bias) }
        }

        let ratios = config.ratios, D = config.latentChannels, n = ratios.count
        // Acoustic encoder.
        var channels = widths.encoderChannels
        weightNorm("encoder.block.0", [channels, 1, 7], bias: channels)
        for (i, stride) in ratios.enumerated() {
            let p = "encoder.block.\(i + 1).block"
            for j in 0..<3 { residualUnit("\(p).\(j)", channels) }
            snake("\(p).3", channels)
            weightNorm("\(p).4", [2 * channels, channels, 2 * stride], bias: 2 * channels)
            channels *= 2
        }
        snake("encoder.block.\(n + 1)", channels)
        weightNorm("encoder.block.\(n + 2)", [D, channels, 3], bias: D)

        // Acoustic decoder.
        channels = widths.decoderChannels
        weightNorm("decoder_2.model.0", [channels, D, 7], bias: channels)
        for (i, stride) in ratios.enumerated() {
            let p = "decoder_2.model.\(i + 1).block"
            snake("\(p).0", channels)
            weightNorm("\(p).1", [channels, channels / 2, 2 * stride], bias: channels / 2)
            channels /= 2
            for j in 0..<3 { residualUnit("\(p).\(j + 2)", channels) }
        }
        snake("decoder_2.model.\(n + 1)", channels)
        weightNorm("decoder_2.model.\(n + 2)", [1, channels, 7], bias: 1)

        // HuBERT.
        let S = widths.semantic, F = widths.hubertFeatures
        add("semantic_model.masked_spec_embed", [S], .normBias)
        for (i, k) in Hubert.kernels.enumerated() {
            conv("semantic_model.feature_extractor.conv_layers.\(i).conv", F, i == 0 ? 1 : F, k, bias: false)
        }
        norm("semantic_model.feature_extractor.conv_layers.0.layer_norm", F)
        norm("semantic_model.feature_projection.layer_norm", F)
        linear("semantic_model.feature_projection.projection", S, F)
        add("semantic_model.encoder.pos_conv_embed.conv.bias", [S], .bias)
        add("semantic_model.encoder.pos_conv_embed.conv.parametrizations.weight.original0", [1, 1, widths.positionalKernel],
            .weightNormMagnitude(residual: false))
        add("semantic_model.encoder.pos_conv_embed.conv.parametrizations.weight.original1",
            [S, S / widths.positionalGroups, widths.positionalKernel], .weight(fanIn: S / widths.positionalGroups * widths.positionalKernel))
        norm("semantic_model.encoder.layer_norm", S)
        for l in 0..<widths.hubertLayers {
            let p = "semantic_model.encoder.layers.\(l)"
            for name in ["k_proj", "v_proj", "q_proj", "out_proj"] { linear("\(p).attention.\(name)", S, S) }
            norm("\(p).layer_norm", S)
            linear("\(p).feed_forward.intermediate_dense", widths.hubertIntermediate, S)
            linear("\(p).feed_forward.output_dense", S, widths.hubertIntermediate)
            norm("\(p).final_layer_norm", S)
        }

        // Semantic encoder and (unused at inference) decoder.
        conv("encoder_semantic.conv.conv", S, S, 3, bias: false)
        for b in 0..<2 {
            for u in 0..<2 {
                conv("encoder_semantic.conv_blocks.\(b).res_units.\(u).conv1.conv", S, S, 3, bias: false)
                conv("encoder_semantic.conv_blocks.\(b).res_units.\(u).conv2", S, S, 1, bias: false)
            }
            conv("encoder_semantic.conv_blocks.\(b).conv.conv", S, S, 3, bias: true)
        }
        conv("decoder_semantic.conv1.conv", S, S, 3, bias: false)
        for b in 0..<2 {
            conv("decoder_semantic.conv_blocks.\(b).conv.conv", S, S, 3, bias: true)
            for u in 0..<2 {
                conv("decoder_semantic.conv_blocks.\(b).res_units.\(u).conv1.conv", S, S, 3, bias: false)
                conv("decoder_semantic.conv_blocks.\(b).res_units.\(u).conv2", S, S, 1, bias: false)
            }
        }
        conv("decoder_semantic.conv2.conv", S, S, 3, bias: false)

        // Quantizer and the projections around it.
        let Q = D + S, bins = config.codebookSize
        let entry = config.codebookDimension ?? Q
        for q in 0..<config.codebookCount {
            let p = "quantizer.vq.layers.\(q)"
            if entry != Q {
                linear(p + ".project_in", entry, Q)
                linear(p + ".project_out", Q, entry)
            }
            add(p + "._codebook.inited", [1], .buffer(1))
            add(p + "._codebook.cluster_size", [bins], .buffer(1))
            add(p + "._codebook.embed", [bins, entry], .codebook)
            add(p + "._codebook.embed_avg", [bins, entry], .buffer(0))
        }
        linear("fc_prior", Q, Q)
        linear("fc_post1", S, Q)
        linear("fc_post2", D, Q)
        return out
    }

    /// A tensor store in this layout filled with random values at sensible scales (unit-norm
    /// weight-norm directions, magnitudes near 1, snake alphas near 1, small biases), so the
    /// signal keeps a sane size through the layers.
    public static func randomStore(_ config: TokenizerConfiguration, widths: Widths = .published, seed: UInt64 = 1) -> MemoryTensorStore {
        let store = MemoryTensorStore(location: "random tokenizer (seed \(seed))")
        var rng = SplitMix64(seed: seed)
        func uniform() -> Float { Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1 }
        for tensor in tensors(config, widths: widths) {
            let count = tensor.shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            switch tensor.role {
            case .weight(let fanIn):
                let scale = (3 / Float(max(fanIn, 1))).squareRoot()
                for i in 0..<count { values[i] = uniform() * scale }
            case .bias, .normBias:
                for i in 0..<count { values[i] = uniform() * 0.05 }
            case .snakeAlpha:
                for i in 0..<count { values[i] = 1 + 0.5 * uniform() }
            case .normWeight:
                for i in 0..<count { values[i] = 1 + 0.1 * uniform() }
            case .weightNormMagnitude(let residual):
                for i in 0..<count { values[i] = (residual ? 0.5 : 1) * (1 + 0.2 * uniform()) }
            case .codebook:
                for i in 0..<count { values[i] = uniform() }
            case .buffer(let value):
                for i in 0..<count { values[i] = value }
            }
            store.add(tensor.name, shape: tensor.shape, floats: values)
        }
        return store
    }
}
