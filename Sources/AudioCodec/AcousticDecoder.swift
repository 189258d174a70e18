import Checkpoint
import Kernels

/// DAC's residual unit: `x + conv1x1(snake(conv7_dilated(snake(x))))` (keys `block.0` to `block.3`).
///
/// The second snake runs inside the 1x1 convolution, which reads each input once
/// (`Conv1d.inputSnake`). The first is a pass of its own, since the kernel-7 convolution reads
/// each input seven times, except on AMX tiles, which take each input once per panel.
struct ResidualUnit {
    let snake1: Snake
    let conv1: Conv1d  // kernel 7, dilation d, padding 3d (snake inside on tiles)
    let conv2: Conv1d  // snake, then kernel 1

    init(_ reader: WeightReader, _ prefix: String, channels: Int, dilation: Int) throws {
        snake1 = try Snake(reader, prefix + ".block.0", channels: channels)
        conv1 = try Conv1d(reader, prefix + ".block.1", inChannels: channels, dilation: dilation).takingSnake(snake1)
        let snake2 = try Snake(reader, prefix + ".block.2", channels: conv1.outChannels)
        var second = try Conv1d(reader, prefix + ".block.3", inChannels: conv1.outChannels, padding: 0)
        second.inputSnake = snake2.alpha
        conv2 = second
        guard conv2.outChannels == channels, conv2.kernel == 1 else {
            throw reader.fail("residual unit '\(prefix)' does not map \(channels) channels back to \(channels)")
        }
    }

    /// The unit over a whole signal.
    func callAsFunction(_ x: Signal) -> Signal {
        let y = conv1(conv1.inputSnake == nil ? snake1(x) : x)
        let out = x.columns(0..<x.count)
        conv2.run(y.pointer, ldx: y.count, count: y.count, into: out, at: 0, accumulate: true)
        return out
    }

    /// The unit fed in pieces: the dilated convolution delays its output, so the inputs wait for
    /// their residual partner.
    struct Stream {
        let unit: ResidualUnit
        var conv: ConvStream
        var waiting: Signal

        init(_ unit: ResidualUnit) {
            self.unit = unit
            conv = ConvStream(unit.conv1)
            waiting = .zeros(channels: unit.conv1.inChannels, count: 0)
        }

        mutating func push(_ x: Signal, final: Bool) -> Signal {
            let y = conv.push(unit.conv1.inputSnake == nil ? unit.snake1(x) : x, final: final)
            // The output starts as the residual: the waiting inputs, then this piece's first ones;
            // the 1x1 convolution adds itself to it.
            let n = y.count, held = waiting.count
            let out = Signal(channels: x.channels, count: n)
            Signal.rows(x.channels, work: x.channels * n) { c in
                let fromWaiting = min(n, held)
                out.row(c).update(from: waiting.row(c), count: fromWaiting)
                if n > held { (out.row(c) + held).update(from: x.row(c), count: n - held) }
            }
            unit.conv2.run(y.pointer, ldx: n, count: n, into: out, at: 0, accumulate: true)
            waiting = n >= held ? x.columns((n - held)..<x.count) : waiting.columns(n..<held).appending(x)
            return out
        }
    }
}

/// The acoustic decoder (`decoder_2`): a convolution from the latent, up-sampling blocks (snake,
/// transposed convolution by each ratio, residual units with dilations 1, 3, 9), snake and a
/// convolution down to one channel. Channel widths come from the weights.
struct AcousticDecoder {
    struct Block {
        let snake: Snake
        let upsample: ConvTranspose1d
        let units: [ResidualUnit]
    }

    let input: Conv1d
    let blocks: [Block]
    let snake: Snake
    let output: Conv1d

    static let dilations = [1, 3, 9]

    init(_ reader: WeightReader, prefix: String = "decoder_2.model", latentChannels: Int, ratios: [Int]) throws {
        input = try Conv1d(reader, prefix + ".0", inChannels: latentChannels, padding: 3)
        var channels = input.outChannels
        var blocks: [Block] = []
        for (i, stride) in ratios.enumerated() {
            let p = "\(prefix).\(i + 1).block"
            let snake = try Snake(reader, p + ".0", channels: channels)
            let upsample = try ConvTranspose1d(reader, p + ".1", inChannels: channels, stride: stride,
                                               padding: (stride + 1) / 2, outputPadding: stride % 2, snake: snake)
            channels = upsample.outChannels
            let units = try Self.dilations.enumerated().map { j, d in
                try ResidualUnit(reader, "\(p).\(j + 2)", channels: channels, dilation: d)
            }
            blocks.append(Block(snake: snake, upsample: upsample, units: units))
        }
        self.blocks = blocks
        snake = try Snake(reader, "\(prefix).\(ratios.count + 1)", channels: channels)
        output = try Conv1d(reader, "\(prefix).\(ratios.count + 2)", inChannels: channels, padding: 3)
        guard output.outChannels == 1 else { throw reader.fail("the decoder's last convolution gives \(output.outChannels) channels, 1 expected") }
    }

    /// Latent frames ahead of a frame that its audio depends on (the right half of the receptive
    /// field): each stage's right padding at its own rate, summed, in frames and rounded up.
    func lookAheadFrames(samplesPerFrame: Int) -> Int {
        var lag = Double(input.span - input.padding)
        var rate = 1
        for block in blocks {
            rate *= block.upsample.stride
            lag += Double(block.upsample.padding) / Double(rate)
            for unit in block.units { lag += Double(unit.conv1.span - unit.conv1.padding) / Double(rate) }
        }
        lag += Double(output.span - output.padding) / Double(rate)
        return Int(lag.rounded(.up))
    }

    /// The decoder's state while it is fed latent frames in pieces; pieces give exactly what the
    /// whole sequence gives.
    struct Stream {
        let decoder: AcousticDecoder
        var input: ConvStream
        var upsamples: [ConvTransposeStream]
        var units: [[ResidualUnit.Stream]]
        var output: ConvStream

        init(_ decoder: AcousticDecoder) {
            self.decoder = decoder
            input = ConvStream(decoder.input)
            upsamples = decoder.blocks.map { ConvTransposeStream($0.upsample) }
            units = decoder.blocks.map { $0.units.map(ResidualUnit.Stream.init) }
            output = ConvStream(decoder.output)
        }

        /// Samples completed by `latent` (`[latentChannels, frames]`); `final` flushes the rest.
        mutating func push(_ latent: Signal, final: Bool) -> [Float] {
            var x = input.push(latent, final: final)
            for b in decoder.blocks.indices {
                if decoder.blocks[b].upsample.phases.inputSnake == nil { decoder.blocks[b].snake.apply(x) }
                x = upsamples[b].push(x, final: final)
                for u in units[b].indices { x = units[b][u].push(x, final: final) }
            }
            decoder.snake.apply(x)
            return output.push(x, final: final).values
        }
    }
}
