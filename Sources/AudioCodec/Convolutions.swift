import CCodecKernels
import Checkpoint
import Kernels

/// `nn.Conv1d` with its weight-norm folded, over whole signals or (stride 1) in pieces.
struct Conv1d {
    /// `[out, in, kernel]` as loaded, kept only for layers whose output channels do not come in
    /// eights (the decoder's last has one), which go a row at a time.
    let weight: FloatBuffer?
    let bias: FloatBuffer?
    let outChannels: Int
    let inChannels: Int
    let kernel: Int
    let stride: Int
    let dilation: Int
    let padding: Int
    /// The same convolution by minimal filtering, for the stride-1 kernels that have one.
    let winograd: WinogradConvolution?
    /// The weight packed for the direct product kernel (when the output channels come in eights).
    let packed: PackedRows?
    /// The weight packed for AMX tiles, which then do all the work.
    let tiles: TileRows?
    /// Snake's alphas when the layer before is a snake: the convolution applies it as it reads
    /// its input, sparing a pass over the signal (exact: snake(0) = 0, so the padding is unchanged).
    /// Worth it where each input is read about once: 1x1 convolutions, and any on AMX tiles.
    var inputSnake: FloatBuffer?

    /// Loads `prefix` (shape `[out, in, kernel]` read off the weight); `inChannels` is checked when
    /// given; no `padding` means "same" padding, `(kernel - 1) · dilation / 2`.
    init(_ reader: WeightReader, _ prefix: String, inChannels expectedIn: Int? = nil, stride: Int = 1,
         dilation: Int = 1, padding: Int? = nil, bias hasBias: Bool = true) throws {
        let (values, shape) = try reader.weight(prefix)
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw reader.fail("tensor '\(prefix).weight' has shape \(shape), a [out, in, kernel] convolution expected")
        }
        if let expectedIn, shape[1] != expectedIn {
            throw reader.fail("convolution '\(prefix)' takes \(shape[1]) channels, \(expectedIn) expected from the layer before")
        }
        let bias = hasBias ? try reader.floats(prefix + ".bias", shape: [shape[0]]) : nil
        self.init(weight: values, outChannels: shape[0], inChannels: shape[1], kernel: shape[2], bias: bias,
                  stride: stride, dilation: dilation, padding: padding, options: reader.options)
    }

    /// A convolution of `weight` `[out, in, kernel]` (row-major).
    init(weight values: FloatBuffer, outChannels: Int, inChannels: Int, kernel: Int, bias: FloatBuffer?,
         stride: Int = 1, dilation: Int = 1, padding: Int? = nil, options: AudioTokenizer.Options) {
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.bias = bias
        self.stride = stride
        self.dilation = dilation
        self.padding = padding ?? (kernel - 1) * dilation / 2
        tiles = options.tiles ? Self.tileRows(values, outChannels: outChannels, inChannels: inChannels, kernel: kernel,
                                              stride: stride, dilation: dilation) : nil
        // Winograd's transforms gather inputs `dilation` apart, which costs more as the dilation
        // grows: wide dilations need more channels to pay off (measured on the codec's shapes).
        winograd = tiles == nil && stride == 1 && WinogradConvolution.supports(kernel: kernel) && outChannels % 8 == 0
            && inChannels >= options.winogradMinimumChannels * max(1, dilation / 3)
            ? WinogradConvolution(weight: values.pointer, bias: bias.map { UnsafePointer($0.pointer) },
                                  outChannels: outChannels, inChannels: inChannels, kernel: kernel, dilation: dilation)
            : nil
        packed = tiles == nil && winograd == nil ? PackedRows(values.pointer, rows: outChannels, columns: inChannels * kernel) : nil
        weight = tiles == nil && packed == nil && winograd?.direct == nil ? values : nil
    }

    /// The weight for AMX tiles, where they can take it. A strided convolution is the stride-1 convolution
    /// of its input's phases: with `x_r[c, m] = x[c, m·s + r]` and tap `j = a·s + r`,
    /// `y[o, t] = Σ_{c,r,a} w[o, c, a·s + r] · x_r[c, t + a]`, a kernel of ⌈k/s⌉ over `s·in` channels
    /// (`w'[o, c·s + r, a]`, zero where `a·s + r ≥ k`). Splitting the phases is one pass over the input,
    /// and the products then run on the tiles (HuBERT's second layer, the largest, took about half the
    /// time it took on the Float32 kernels).
    private static func tileRows(_ values: FloatBuffer, outChannels: Int, inChannels: Int, kernel: Int, stride: Int,
                                 dilation: Int) -> TileRows? {
        if stride == 1 {
            return TileRows(values.pointer, rows: outChannels, inChannels: inChannels, kernel: kernel, dilation: dilation)
        }
        guard dilation == 1, (inChannels * stride) % 32 == 0 else { return nil }
        let taps = (kernel + stride - 1) / stride
        let phases = FloatBuffer(count: outChannels * inChannels * stride * taps)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                for j in 0..<kernel {
                    let (a, r) = j.quotientAndRemainder(dividingBy: stride)
                    phases[((o * inChannels + c) * stride + r) * taps + a] = values[(o * inChannels + c) * kernel + j]
                }
            }
        }
        return TileRows(phases.pointer, rows: outChannels, inChannels: inChannels * stride, kernel: taps, dilation: 1)
    }

    /// This convolution with `snake` applied to its inputs as they are read, where that is cheaper
    /// than a pass of its own: on AMX tiles, which take each input once per panel (stride 1).
    func takingSnake(_ snake: Snake) -> Conv1d {
        guard tiles != nil, stride == 1 else { return self }
        var fused = self
        fused.inputSnake = snake.alpha
        return fused
    }

    /// Input samples one output reads beyond its first: `(kernel - 1) · dilation`.
    var span: Int { (kernel - 1) * dilation }

    /// Over a whole signal with `padding` zeros on each side (PyTorch's semantics).
    func callAsFunction(_ x: Signal) -> Signal {
        precondition(x.channels == inChannels)
        let padded = Signal.zeros(channels: inChannels, count: padding).appending(x, zeros: padding)
        let count = padded.count > span ? (padded.count - span - 1) / stride + 1 : 0
        return apply(padded: padded, count: count)
    }

    /// `count` outputs from an input whose padding is already in place.
    func apply(padded x: Signal, count: Int) -> Signal {
        let y = Signal(channels: outChannels, count: count)
        run(x.pointer, ldx: x.count, count: count, into: y, at: 0)
        return y
    }

    /// `count` outputs from the input columns at `x` (rows `ldx` apart, padding in place), written to
    /// columns `at...` of `y`, or added to them with `accumulate`.
    func run(_ x: UnsafePointer<Float>, ldx: Int, count: Int, into y: Signal, at: Int, accumulate: Bool = false) {
        guard count > 0 else { return }
        let out = y.pointer + at
        let b = bias.map { UnsafePointer($0.pointer) }
        let snake = inputSnake.map { UnsafePointer($0.pointer) }
        if let tiles, stride > 1 {
            // The input's phases as channels (see `tileRows`), up to the last sample the outputs read.
            let columns = count + tiles.kernel - 1
            let phases = Signal(channels: inChannels * stride, count: columns)
            Signal.rows(inChannels, work: inChannels * stride * columns) { c in
                codec_split_phases(x, ldx, (count - 1) * stride + kernel, stride, phases.pointer, columns, columns, c, c + 1)
            }
            tiles.convolve(x: phases.pointer, ldx: columns, y: out, ldy: y.count, count: count, bias: b,
                           accumulate: accumulate, snakeAlpha: nil)
        } else if let tiles {
            tiles.convolve(x: x, ldx: ldx, y: out, ldy: y.count, count: count, bias: b, accumulate: accumulate,
                           snakeAlpha: snake)
        } else if let winograd, !accumulate, count >= 2 * winograd.tile * dilation {
            // (Short pieces of a dilated convolution fill Winograd's tiles only partly: direct is cheaper.)
            winograd.forward(x: x, ldx: ldx, count: count, y: out, ldy: y.count, snakeAlpha: snake)
        } else if let packed = packed ?? winograd?.direct {
            packed.convolve(inChannels: inChannels, kernel: kernel, stride: stride, dilation: dilation,
                            x: x, ldx: ldx, y: out, ldy: y.count, count: count, bias: b, accumulate: accumulate,
                            snakeAlpha: snake)
        } else {
            let w = UnsafePointer(weight!.pointer)
            let parts = outChannels * inChannels * kernel * count >= 1 << 18 ? ThreadCount.current : 1
            ThreadPool.shared.run(tasks: parts) { part in
                codec_conv_rows(w, outChannels, inChannels, kernel, stride, dilation, x, ldx, out, y.count, b,
                                accumulate ? 1 : 0, snake, count * part / parts, count * (part + 1) / parts)
            }
        }
    }
}

/// A convolution fed in pieces: it keeps the inputs the next outputs read, and gives each output
/// once the inputs it reads have arrived, so pieces give exactly the whole-signal result (with
/// `padding` zeros on each side, as `callAsFunction`).
///
/// The input is read in place; only the few columns where the kept history meets the new piece
/// (and, at the end, where the piece meets the right padding) are copied, or a short piece whole.
struct ConvStream {
    let conv: Conv1d
    private var history: Signal

    init(_ conv: Conv1d) {
        // Output m reads columns m·s ... m·s + span: with a stride past the kernel, inputs between
        // windows would be skipped and the history would not say where the next window starts.
        precondition(conv.stride <= conv.span + 1)
        self.conv = conv
        history = .zeros(channels: conv.inChannels, count: conv.padding)
    }

    /// Outputs that `x` completes; `final` pads the right edge with zeros and gives the rest.
    mutating func push(_ x: Signal, final: Bool) -> Signal {
        let s = conv.stride, span = conv.span, kept = history.count
        let zeros = final ? conv.padding : 0
        let length = kept + x.count + zeros  // of history ++ x ++ zeros
        let count = length > span ? (length - span - 1) / s + 1 : 0
        let y = Signal(channels: conv.outChannels, count: count)
        // Output m reads columns m·s ..< m·s + span + 1. Outputs [0, head) read the history;
        // [head, tail) lie inside x; [tail, count) read the zeros.
        let head = min(count, (kept + s - 1) / s)
        let inside = kept + x.count - span  // outputs starting before this column end inside x
        let tail = max(head, min(count, inside > 0 ? (inside - 1) / s + 1 : 0))
        let products = (head > 0 ? 1 : 0) + (tail > head ? 1 : 0) + (count > tail ? 1 : 0)
        if products > 1 && length <= conv.outChannels * conv.kernel {
            // A short piece: one product over a copy reads the weights once, where the three parts would
            // read them up to three times; the copy costs less while the piece has fewer columns than the
            // weights have rows times taps (the wide layers of a decoder fed five frames at a time).
            let piece = slice(x, 0..<((count - 1) * s + span + 1), zeros: zeros)
            conv.run(piece.pointer, ldx: piece.count, count: count, into: y, at: 0)
        } else {
            if head > 0 {
                let piece = slice(x, 0..<((head - 1) * s + span + 1), zeros: zeros)
                conv.run(piece.pointer, ldx: piece.count, count: head, into: y, at: 0)
            }
            if tail > head {
                conv.run(x.pointer + (head * s - kept), ldx: x.count, count: tail - head, into: y, at: head)
            }
            if count > tail {
                let piece = slice(x, (tail * s)..<((count - 1) * s + span + 1), zeros: zeros)
                conv.run(piece.pointer, ldx: piece.count, count: count - tail, into: y, at: tail)
            }
        }
        history = slice(x, (count * s)..<length, zeros: zeros)
        return y
    }

    /// Columns `range` of history ++ x ++ zeros.
    private func slice(_ x: Signal, _ range: Range<Int>, zeros: Int) -> Signal {
        let out = Signal(channels: conv.inChannels, count: range.count)
        let kept = history.count
        let fromHistory = range.clamped(to: 0..<kept), fromX = range.clamped(to: kept..<(kept + x.count))
        let zeroed = range.clamped(to: min(kept + x.count, range.upperBound)..<range.upperBound)
        let start = range.lowerBound
        Signal.rows(conv.inChannels, work: conv.inChannels * range.count) { c in
            let row = out.row(c)
            if !fromHistory.isEmpty {
                (row + (fromHistory.lowerBound - start)).update(from: history.row(c) + fromHistory.lowerBound, count: fromHistory.count)
            }
            if !fromX.isEmpty { (row + (fromX.lowerBound - start)).update(from: x.row(c) + (fromX.lowerBound - kept), count: fromX.count) }
            if !zeroed.isEmpty { (row + (zeroed.lowerBound - start)).update(repeating: 0, count: zeroed.count) }
        }
        return out
    }
}

/// `nn.ConvTranspose1d` with its weight-norm folded (weight `[in, out, kernel]`) and a kernel of twice
/// its stride, as every up-sampling of the decoder has.
///
/// It runs in its polyphase form. Output `u = m·s + r - p` (`r < s`) is reached by two inputs only,
/// m through tap r and m - 1 through tap r + s:
/// `y[o, u] = b[o] + Σ_c W[c, o, r]·x[c, m] + W[c, o, r + s]·x[c, m - 1]`.
/// That is a stride-1, kernel-2 convolution to `s·out` rows (row `o·s + r`) over the input with a zero
/// before it, whose columns interleave into the output: each output is written once, where
/// spreading every input over `kernel` columns and overlap-adding them writes and reads twice the
/// output through memory.
struct ConvTranspose1d {
    /// `[out·stride, in, 2]`: taps `r + s` then `r` of output channel o for row `o·s + r`.
    let phases: Conv1d
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let outputPadding: Int

    /// `snake`: the activation before it, taken inside where that is cheaper (see `Conv1d.takingSnake`).
    init(_ reader: WeightReader, _ prefix: String, inChannels expectedIn: Int, stride: Int, padding: Int, outputPadding: Int,
         snake: Snake) throws {
        let (values, shape) = try reader.weight(prefix)
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }), shape[0] == expectedIn else {
            throw reader.fail("tensor '\(prefix)' has shape \(shape), a transposed convolution [\(expectedIn), out, kernel] expected")
        }
        guard shape[2] == 2 * stride else {
            throw reader.fail("'\(prefix)' has kernel \(shape[2]); ratio \(stride) needs kernel \(2 * stride)")
        }
        let (cin, cout, k) = (shape[0], shape[1], shape[2])
        inChannels = cin
        outChannels = cout
        kernel = k
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        let bias = try reader.floats(prefix + ".bias", shape: [cout])
        let w = FloatBuffer(count: cout * stride * cin * 2), b = FloatBuffer(count: cout * stride)
        for o in 0..<cout {
            for r in 0..<stride {
                let row = o * stride + r
                b[row] = bias[o]
                for c in 0..<cin {
                    w[(row * cin + c) * 2] = values[(c * cout + o) * k + r + stride]
                    w[(row * cin + c) * 2 + 1] = values[(c * cout + o) * k + r]
                }
            }
        }
        phases = Conv1d(weight: w, outChannels: cout * stride, inChannels: cin, kernel: 2, bias: b, padding: 1,
                        options: reader.options).takingSnake(snake)
    }

    /// Output length for `count` inputs: `(count - 1)·stride - 2·padding + kernel + outputPadding`.
    func outputCount(_ count: Int) -> Int { max(0, (count - 1) * stride - 2 * padding + kernel + outputPadding) }
}

/// A transposed convolution fed in pieces. Polyphase column m is complete once input m has arrived,
/// so pieces give exactly the whole-signal result.
struct ConvTransposeStream {
    let conv: ConvTranspose1d
    private var phases: ConvStream
    private var columns = 0  // polyphase columns given out so far
    private var inputs = 0

    init(_ conv: ConvTranspose1d) {
        self.conv = conv
        phases = ConvStream(conv.phases)
    }

    mutating func push(_ x: Signal, final: Bool) -> Signal {
        inputs += x.count
        // At the end, the phases' right padding (x[inputs] = 0) completes the last column.
        let z = phases.push(x, final: final)
        let s = conv.stride
        let first = columns * s - conv.padding  // where this piece's first column starts
        columns += z.count
        let lower = max(0, first)
        let upper = final ? conv.outputCount(inputs) : columns * s - conv.padding
        let out = Signal(channels: conv.outChannels, count: max(0, upper - lower))
        Signal.rows(out.channels, work: out.channels * out.count) { o in
            codec_interleave_phases(z.pointer, z.count, z.count, s, lower - first, out.pointer, out.count, out.count, o, o + 1)
        }
        return out
    }
}

/// Snake activation parameters of one layer (`alpha`, shape `[1, C, 1]`).
struct Snake {
    let alpha: FloatBuffer
    let channels: Int

    init(_ reader: WeightReader, _ prefix: String, channels: Int) throws {
        alpha = try reader.floats(prefix + ".alpha", shape: [1, channels, 1])
        self.channels = channels
    }

    /// Into a new signal.
    func callAsFunction(_ x: Signal) -> Signal {
        precondition(x.channels == channels)
        let h = Signal(channels: x.channels, count: x.count)
        SignalKernels.snake(x.pointer, into: h.pointer, ld: x.count, channels: channels, count: x.count,
                            alpha: alpha.pointer)
        return h
    }

    /// In place.
    func apply(_ x: Signal) {
        precondition(x.channels == channels)
        SignalKernels.snake(x.pointer, ld: x.count, channels: channels, count: x.count, alpha: alpha.pointer)
    }
}
