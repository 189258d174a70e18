import Checkpoint
import Foundation
import Kernels

/// HuBERT (transformers' `HubertModel`, the base variant: group-norm feature extractor,
/// post-layer-norm transformer) as the tokenizer's semantic teacher, under `semantic_model.`.
///
/// Widths and layer counts are read off the tensors (768 wide and 12 layers when published);
/// the strides of the feature extractor and the head width (64) are HuBERT's fixed choices.
struct Hubert {
    struct Layer {
        let query, key, value, output: Dense
        let attentionNorm: (weight: FloatBuffer, bias: FloatBuffer)
        let intermediate, feedForwardOutput: Dense
        let finalNorm: (weight: FloatBuffer, bias: FloatBuffer)
    }

    let featureLayers: [Conv1d]
    let featureNorm: (weight: FloatBuffer, bias: FloatBuffer)  // GroupNorm with one group per channel, on layer 0
    let projectionNorm: (weight: FloatBuffer, bias: FloatBuffer)?
    let projection: Dense
    let positional: (weight: FloatBuffer, bias: FloatBuffer, kernel: Int, groups: Int)
    let encoderNorm: (weight: FloatBuffer, bias: FloatBuffer)
    let layers: [Layer]
    let hidden: Int
    let heads: Int
    /// Samples the feature extractor takes at a time, and queries scored at once (see `AudioTokenizer.Options`).
    let pieceSamples: Int
    let attentionRows: Int

    static let kernels = [10, 3, 3, 3, 3, 2, 2]
    static let strides = [5, 2, 2, 2, 2, 2, 2]
    static let headWidth = 64
    static let epsilon: Float = 1e-5
    /// Samples of 16 kHz audio per feature frame (the product of the strides).
    static let hop = 320

    init(_ reader: WeightReader, prefix: String = "semantic_model") throws {
        func norm(_ p: String, _ width: Int) throws -> (weight: FloatBuffer, bias: FloatBuffer) {
            (try reader.floats(p + ".weight", shape: [width]), try reader.floats(p + ".bias", shape: [width]))
        }
        pieceSamples = reader.options.encoderPieceSamples
        attentionRows = reader.options.attentionRowsAtOnce
        let extractor = prefix + ".feature_extractor.conv_layers"
        if reader.has(extractor + ".1.layer_norm.weight") {
            throw reader.fail("the semantic model's feature extractor has a layer norm on every layer (feat_extract_norm \"layer\", a large HuBERT); only the base variant with group norm is supported")
        }
        var layers: [Conv1d] = []
        var channels = 1
        for (i, stride) in Self.strides.enumerated() {
            let p = "\(extractor).\(i).conv"
            let conv = try Conv1d(reader, p, inChannels: channels, stride: stride, padding: 0, bias: reader.has(p + ".bias"))
            guard conv.kernel == Self.kernels[i] else {
                throw reader.fail("'\(p)' has kernel \(conv.kernel); HuBERT's feature extractor has kernels \(Self.kernels)")
            }
            channels = conv.outChannels
            layers.append(conv)
        }
        featureLayers = layers
        featureNorm = try norm(extractor + ".0.layer_norm", layers[0].outChannels)
        projectionNorm = reader.has(prefix + ".feature_projection.layer_norm.weight")
            ? try norm(prefix + ".feature_projection.layer_norm", channels) : nil
        projection = try Dense(reader, prefix + ".feature_projection.projection", inFeatures: channels)
        hidden = projection.outFeatures
        guard hidden % Self.headWidth == 0 else {
            throw reader.fail("the semantic model is \(hidden) wide, not a multiple of HuBERT's head width \(Self.headWidth)")
        }
        heads = hidden / Self.headWidth

        let pos = prefix + ".encoder.pos_conv_embed.conv"
        let (posWeight, posShape) = try reader.weight(pos)
        guard posShape.count == 3, posShape[0] == hidden, posShape[1] > 0, hidden % posShape[1] == 0 else {
            throw reader.fail("'\(pos)' has shape \(posShape), a grouped convolution [\(hidden), \(hidden)/groups, kernel] expected")
        }
        positional = (posWeight, try reader.floats(pos + ".bias", shape: [hidden]), posShape[2], hidden / posShape[1])
        encoderNorm = try norm(prefix + ".encoder.layer_norm", hidden)

        var transformer: [Layer] = []
        while reader.has("\(prefix).encoder.layers.\(transformer.count).attention.q_proj.weight") {
            let p = "\(prefix).encoder.layers.\(transformer.count)"
            let intermediate = try Dense(reader, p + ".feed_forward.intermediate_dense", inFeatures: hidden, tiles: true)
            transformer.append(Layer(
                query: try Dense(reader, p + ".attention.q_proj", inFeatures: hidden, tiles: true),
                key: try Dense(reader, p + ".attention.k_proj", inFeatures: hidden, tiles: true),
                value: try Dense(reader, p + ".attention.v_proj", inFeatures: hidden, tiles: true),
                output: try Dense(reader, p + ".attention.out_proj", inFeatures: hidden, tiles: true),
                attentionNorm: try norm(p + ".layer_norm", hidden),
                intermediate: intermediate,
                feedForwardOutput: try Dense(reader, p + ".feed_forward.output_dense", inFeatures: intermediate.outFeatures, tiles: true),
                finalNorm: try norm(p + ".final_layer_norm", hidden)))
        }
        guard !transformer.isEmpty else { throw reader.fail("the semantic model has no transformer layers (\(prefix).encoder.layers.0)") }
        self.layers = transformer
    }

    /// Feature frames for `count` input samples (0 when too short for the first window).
    static func frameCount(samples count: Int) -> Int {
        var n = count
        for (k, s) in zip(kernels, strides) { n = n >= k ? (n - k) / s + 1 : 0 }
        return n
    }

    /// The mean over the embedding output and every layer's output, time-major `[frames, hidden]`,
    /// of 16 kHz `samples` (as `HubertModel(x, output_hidden_states=True)` then the mean of the stack).
    func meanHiddenStates(_ samples: [Float]) -> [Float] {
        let x = featureFrames(samples)
        let frames = x.count
        guard frames > 0 else { return [] }
        var features = x.timeMajor()
        if let norm = projectionNorm {
            SignalKernels.layerNorm(&features, rows: frames, width: x.channels, weight: norm.weight.pointer,
                                    bias: norm.bias.pointer, epsilon: Self.epsilon)
        }
        var h = projection(features, rows: frames)
        let position = positionalEmbedding(h, frames: frames)
        for i in h.indices { h[i] += position[i] }
        SignalKernels.layerNorm(&h, rows: frames, width: hidden, weight: encoderNorm.weight.pointer,
                                bias: encoderNorm.bias.pointer, epsilon: Self.epsilon)
        // The layers run channel-major, as the tile products take their inputs.
        var state = h.withUnsafeBufferPointer { Signal.fromTimeMajor($0.baseAddress!, count: frames, channels: hidden) }
        let sum = state.columns(0..<frames)
        for layer in layers {
            state = apply(layer, state)
            sum.add(state)
        }
        let count = Float(layers.count + 1)
        return sum.timeMajor().map { $0 / count }
    }

    /// The feature extractor `[channels, frames]`: convolutions with GELU, the first normalised per
    /// channel over the whole clip (GroupNorm with a group per channel). It runs over pieces of
    /// `pieceSamples` samples, twice: first for layer 0's statistics, then through every layer, so
    /// that its layers hold a piece at a time, not the clip (layer 0 is 512 channels at 3.2 kHz,
    /// 6.5 MB a second). The streams make the pieces join exactly.
    private func featureFrames(_ samples: [Float]) -> Signal {
        var first = ConvStream(featureLayers[0])
        var statistics = ChannelStatistics(channels: featureLayers[0].outChannels)
        Signal.pieces(of: samples, size: pieceSamples) { piece, final in statistics.add(first.push(piece, final: final)) }
        let (mean, scale) = statistics.normalization(weight: featureNorm.weight, epsilon: Self.epsilon)

        var streams = featureLayers.map(ConvStream.init)
        var frames: [Signal] = []
        Signal.pieces(of: samples, size: pieceSamples) { piece, final in
            var x = piece
            for i in streams.indices {
                x = streams[i].push(x, final: final)
                if i == 0 {
                    let y = x
                    Signal.rows(y.channels, work: y.channels * y.count) { c in
                        let row = y.row(c)
                        let shift = featureNorm.bias[c]
                        for t in 0..<y.count { row[t] = (row[t] - mean[c]) * scale[c] + shift }
                    }
                }
                SignalKernels.gelu(x.pointer, count: x.channels * x.count)
            }
            frames.append(x)
        }
        return Signal.joining(frames, channels: featureLayers[featureLayers.count - 1].outChannels)
    }

    /// The grouped positional convolution (kernel 128, padding 64, the last output dropped), then GELU.
    private func positionalEmbedding(_ h: [Float], frames: Int) -> [Float] {
        let kernel = positional.kernel, groups = positional.groups, width = hidden / groups
        let pad = kernel / 2
        let x = h.withUnsafeBufferPointer { Signal.fromTimeMajor($0.baseAddress!, count: frames, channels: hidden) }
        let padded = Signal.zeros(channels: hidden, count: pad).appending(x, zeros: pad)
        let y = Signal(channels: hidden, count: frames)
        for g in 0..<groups {
            // Group g maps input channels g·width..< to the same output channels; its outputs
            // 0..<frames are those kept (the convolution gives frames + 1 for an even kernel).
            Convolution.forward(weight: positional.weight.pointer + g * width * width * kernel,
                                bias: UnsafePointer(positional.bias.pointer + g * width),
                                outChannels: width, inChannels: width, kernel: kernel,
                                x: padded.row(g * width), ldx: padded.count, count: frames,
                                y: y.row(g * width), ldy: frames)
        }
        SignalKernels.gelu(y.pointer, count: hidden * frames)
        return y.timeMajor()
    }

    /// One post-norm transformer layer over `x` `[hidden, frames]`.
    private func apply(_ layer: Layer, _ x: Signal) -> Signal {
        let frames = x.count
        let q = layer.query.apply(x), k = layer.key.apply(x), v = layer.value.apply(x)
        let context = Signal(channels: hidden, count: frames)
        attend(q: q, k: k, v: v, into: context)
        let h = x.columns(0..<frames)  // the residual, the attention's output added to it
        layer.output.apply(context, into: h, accumulate: true)
        SignalKernels.layerNorm(columnsOf: h, weight: layer.attentionNorm.weight, bias: layer.attentionNorm.bias,
                                epsilon: Self.epsilon)
        let inner = layer.intermediate.apply(h)
        SignalKernels.gelu(inner.pointer, count: inner.channels * inner.count)
        let out = h.columns(0..<frames)
        layer.feedForwardOutput.apply(inner, into: out, accumulate: true)
        SignalKernels.layerNorm(columnsOf: out, weight: layer.finalNorm.weight, bias: layer.finalNorm.bias,
                                epsilon: Self.epsilon)
        return out
    }

    /// Bidirectional attention of every head over queries, keys and values `[hidden, frames]`, into
    /// `context` `[hidden, frames]`. The heads share out over the pool, each scoring `attentionRows`
    /// queries at a time against every key (scores `[rows, frames]`; a whole clip's at once would
    /// grow with its square): a head's two products are too small to split well, and its softmax is
    /// as much work as they are.
    private func attend(q: Signal, k: Signal, v: Signal, into context: Signal) {
        let frames = q.count, width = Self.headWidth, scaling = 1 / Float(width).squareRoot()
        let rowsAtOnce = min(frames, attentionRows)
        let lanes = min(heads, ThreadPool.shared.threads)
        ThreadPool.shared.run(tasks: lanes) { lane in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: rowsAtOnce * frames)
            defer { scores.deallocate() }
            for head in heads * lane / lanes..<heads * (lane + 1) / lanes {
                let keys = head * width * frames  // where this head's rows start
                for first in stride(from: 0, to: frames, by: rowsAtOnce) {
                    let rows = min(rowsAtOnce, frames - first), queries = keys + first
                    // scores[i, j] = scaling · q_(first + i) · k_j over this head's rows.
                    BLAS.gemm(transposeA: true, m: rows, n: frames, k: width, alpha: scaling, a: q.pointer + queries,
                              lda: frames, b: k.pointer + keys, ldb: frames, c: scores, ldc: frames)
                    for i in 0..<rows { Vector.attentionSoftmax(scores + i * frames, count: frames) }
                    // context[d, first + i] = Σ_j v[d, j] · scores[i, j]
                    BLAS.gemm(transposeB: true, m: width, n: rows, k: frames, a: v.pointer + keys, lda: frames,
                              b: scores, ldb: frames, c: context.pointer + queries, ldc: frames)
                }
            }
        }
    }
}

/// Per-channel mean and variance of a signal that arrives in pieces (Chan's pairwise merge, in
/// Double): GroupNorm with a group per channel over a clip too long to hold at once.
struct ChannelStatistics {
    private var count = 0
    private var mean: [Double]
    private var squares: [Double]  // sums of squared deviations from the mean

    init(channels: Int) {
        mean = Array(repeating: 0, count: channels)
        squares = Array(repeating: 0, count: channels)
    }

    mutating func add(_ x: Signal) {
        guard x.count > 0 else { return }
        let n = Double(x.count), before = Double(count), total = before + n
        mean.withUnsafeMutableBufferPointer { mean in
            squares.withUnsafeMutableBufferPointer { squares in
                Signal.rows(x.channels, work: x.channels * x.count) { c in
                    let row = x.row(c)
                    var sum = 0.0
                    for t in 0..<x.count { sum += Double(row[t]) }
                    let pieceMean = sum / n
                    var deviations = 0.0
                    for t in 0..<x.count { let d = Double(row[t]) - pieceMean; deviations += d * d }
                    let delta = pieceMean - mean[c]
                    mean[c] += delta * n / total
                    squares[c] += deviations + delta * delta * before * n / total
                }
            }
        }
        count += x.count
    }

    /// Each channel's mean, and `weight / √(variance + ε)`.
    func normalization(weight: FloatBuffer, epsilon: Float) -> (mean: [Float], scale: [Float]) {
        let scale = mean.indices.map { c in
            Float(Double(weight[c]) / ((count > 0 ? squares[c] / Double(count) : 0) + Double(epsilon)).squareRoot())
        }
        return (mean.map { Float($0) }, scale)
    }
}
