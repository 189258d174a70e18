import Checkpoint
import Kernels

/// The acoustic encoder (`encoder.block`): a convolution from the waveform, down-sampling blocks
/// (residual units with dilations 1, 3, 9, snake, a strided convolution by each ratio that
/// doubles the channels), snake and a convolution to the latent.
struct AcousticEncoder {
    struct Block {
        let units: [ResidualUnit]
        let snake: Snake
        let downsample: Conv1d
    }

    let input: Conv1d
    let blocks: [Block]
    let snake: Snake
    let output: Conv1d

    init(_ reader: WeightReader, prefix: String = "encoder.block", ratios: [Int], latentChannels: Int) throws {
        input = try Conv1d(reader, prefix + ".0", inChannels: 1, padding: 3)
        var channels = input.outChannels
        var blocks: [Block] = []
        for (i, stride) in ratios.enumerated() {
            let p = "\(prefix).\(i + 1).block"
            let units = try AcousticDecoder.dilations.enumerated().map { j, d in
                try ResidualUnit(reader, "\(p).\(j)", channels: channels, dilation: d)
            }
            let snake = try Snake(reader, "\(p).3", channels: channels)
            let downsample = try Conv1d(reader, "\(p).4", inChannels: channels, stride: stride, padding: (stride + 1) / 2)
            guard downsample.kernel == 2 * stride else {
                throw reader.fail("'\(p).4' has kernel \(downsample.kernel); ratio \(stride) needs kernel \(2 * stride)")
            }
            channels = downsample.outChannels
            blocks.append(Block(units: units, snake: snake, downsample: downsample))
        }
        self.blocks = blocks
        snake = try Snake(reader, "\(prefix).\(ratios.count + 1)", channels: channels)
        output = try Conv1d(reader, "\(prefix).\(ratios.count + 2)", inChannels: channels, padding: 1)
        guard output.outChannels == latentChannels else {
            throw reader.fail("the acoustic encoder gives \(output.outChannels) channels, config.json says D = \(latentChannels)")
        }
    }

    /// The latent `[D, frames]` of a waveform.
    func callAsFunction(_ samples: [Float]) -> Signal {
        var x = firstLayers(samples)
        for (b, block) in blocks.enumerated() {
            if b > 0 { for unit in block.units { x = unit(x) } }
            block.snake.apply(x)
            x = block.downsample(x)
        }
        snake.apply(x)
        return output(x)
    }

    /// Samples the first layers take at a time: 2 MB a signal at 64 channels. Alternating runs of a 10 s
    /// encode took 1.75-2.20 s with these pieces against 1.80-2.31 s without (in five rounds of six faster).
    static let pieceSamples = 8192

    /// The input convolution and the first block's residual units, which keep the waveform's length, in
    /// pieces. At the full rate their signals are large (64 channels of 10 s are 61 MB), and over them each
    /// layer waited on memory, the 1x1 convolutions most; pieces of `pieceSamples` stay in the caches from
    /// one layer to the next. The streams make the pieces join exactly.
    private func firstLayers(_ samples: [Float]) -> Signal {
        var inputStream = ConvStream(input)
        var units = blocks.first.map { $0.units.map(ResidualUnit.Stream.init) } ?? []
        let out = Signal(channels: input.outChannels, count: samples.count)
        var start = 0, written = 0
        repeat {
            let end = min(samples.count, start + Self.pieceSamples), final = end == samples.count
            var x = inputStream.push(Signal(channels: 1, count: end - start, values: Array(samples[start..<end])), final: final)
            for u in units.indices { x = units[u].push(x, final: final) }
            for c in 0..<x.channels { (out.row(c) + written).update(from: x.row(c), count: x.count) }
            written += x.count
            start = end
        } while start < samples.count
        precondition(written == samples.count, "the first layers keep the length")
        return out
    }
}

/// The semantic encoder (`encoder_semantic`): a convolution, then blocks of two ELU residual
/// units (kernel 3, no bias) and a convolution, all at the semantic width and stride 1.
struct SemanticEncoder {
    struct Unit {
        let conv1: Conv1d
        let conv2: Conv1d
    }

    struct Block {
        let units: [Unit]
        let conv: Conv1d
    }

    let input: Conv1d
    let blocks: [Block]

    init(_ reader: WeightReader, prefix: String = "encoder_semantic", channels: Int) throws {
        input = try Conv1d(reader, prefix + ".conv.conv", inChannels: channels, bias: false)
        var width = input.outChannels
        var blocks: [Block] = []
        while reader.has("\(prefix).conv_blocks.\(blocks.count).conv.conv.weight") {
            let p = "\(prefix).conv_blocks.\(blocks.count)"
            var units: [Unit] = []
            while reader.has("\(p).res_units.\(units.count).conv1.conv.weight") {
                let u = "\(p).res_units.\(units.count)"
                let conv1 = try Conv1d(reader, u + ".conv1.conv", inChannels: width, bias: reader.has(u + ".conv1.conv.bias"))
                let conv2 = try Conv1d(reader, u + ".conv2", inChannels: conv1.outChannels, padding: 0, bias: reader.has(u + ".conv2.bias"))
                guard conv2.outChannels == width else { throw reader.fail("'\(u)' does not map \(width) channels back to \(width)") }
                units.append(Unit(conv1: conv1, conv2: conv2))
            }
            let conv = try Conv1d(reader, p + ".conv.conv", inChannels: width)
            guard conv.kernel == 3 else { throw reader.fail("'\(p).conv.conv' has kernel \(conv.kernel), 3 expected (stride 1)") }
            width = conv.outChannels
            blocks.append(Block(units: units, conv: conv))
        }
        self.blocks = blocks
    }

    var outChannels: Int { blocks.last?.conv.outChannels ?? input.outChannels }

    func callAsFunction(_ features: Signal) -> Signal {
        var x = input(features)
        for block in blocks {
            for unit in block.units {
                let h = x.columns(0..<x.count)
                SignalKernels.elu(h.pointer, count: h.channels * h.count)
                let y = unit.conv1(h)
                SignalKernels.elu(y.pointer, count: y.channels * y.count)
                let out = unit.conv2(y)
                out.add(x)
                x = out
            }
            x = block.conv(x)
        }
        return x
    }
}
