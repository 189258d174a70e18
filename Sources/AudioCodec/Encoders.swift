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
    /// Samples the streamed layers take at a time (`AudioTokenizer.Options.encoderPieceSamples`).
    let pieceSamples: Int

    init(_ reader: WeightReader, prefix: String = "encoder.block", ratios: [Int], latentChannels: Int) throws {
        pieceSamples = reader.options.encoderPieceSamples
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

    /// The latent `[D, frames]` of a waveform, computed in pieces so that memory stays that of a piece
    /// however long the audio; the streams make the pieces join exactly.
    ///
    /// Two kinds of piece. The input convolution and the first `earlyBlocks` blocks take `pieceSamples`
    /// samples at a time: their signals are the large ones (64 channels at 24 kHz are 6 MB a second),
    /// and pieces this size stay in the caches from one layer to the next (over whole signals every layer
    /// waited on memory). Their outputs, 256 channels at 600 Hz when published, are gathered into pieces
    /// of at least `pieceSamples / 4` columns (3.4 s) for the deeper blocks, whose wider layers read all
    /// their weights on every piece and would compute mostly padding in short ones.
    func callAsFunction(_ samples: [Float]) -> Signal {
        var inputStream = ConvStream(input)
        var early = blocks.prefix(Self.earlyBlocks).map(BlockStream.init)
        var late = blocks.dropFirst(Self.earlyBlocks).map(BlockStream.init)
        var outputStream = ConvStream(output)
        let gathered = early.last?.block.downsample.outChannels ?? input.outChannels
        var waiting: [Signal] = [], latent: [Signal] = []
        Signal.pieces(of: samples, size: pieceSamples) { piece, final in
            var x = inputStream.push(piece, final: final)
            for b in early.indices { x = early[b].push(x, final: final) }
            waiting.append(x)
            guard final || waiting.reduce(0, { $0 + $1.count }) >= max(1, pieceSamples / 4) else { return }
            var y = Signal.joining(waiting, channels: gathered)
            waiting = []
            for b in late.indices { y = late[b].push(y, final: final) }
            snake.apply(y)
            latent.append(outputStream.push(y, final: final))
        }
        return Signal.joining(latent, channels: output.outChannels)
    }

    /// Blocks that take the waveform's pieces as they come (see `callAsFunction`).
    static let earlyBlocks = 2

    /// One block fed in pieces.
    private struct BlockStream {
        let block: Block
        var units: [ResidualUnit.Stream]
        var downsample: ConvStream

        init(_ block: Block) {
            self.block = block
            units = block.units.map(ResidualUnit.Stream.init)
            downsample = ConvStream(block.downsample)
        }

        mutating func push(_ piece: Signal, final: Bool) -> Signal {
            var x = piece
            for u in units.indices { x = units[u].push(x, final: final) }
            block.snake.apply(x)
            return downsample.push(x, final: final)
        }
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
