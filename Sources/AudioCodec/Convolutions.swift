import Checkpoint
import Kernels

/// `nn.Conv1d` with its weight-norm folded, over whole signals or (stride 1) in pieces.
struct Conv1d {
    /// `[out, in·kernel]`, kept only for the BLAS path, when no packed form exists.
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
    /// Snake's alphas when the layer before is a snake: the convolution applies it as it reads
    /// its input, sparing a pass over the signal (exact: snake(0) = 0, so the padding is unchanged).
    /// Worth it for 1x1 convolutions only, which read each input once.
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
        outChannels = shape[0]
        inChannels = shape[1]
        kernel = shape[2]
        bias = hasBias ? try reader.floats(prefix + ".bias", shape: [shape[0]]) : nil
        self.stride = stride
        self.dilation = dilation
        self.padding = padding ?? (shape[2] - 1) * dilation / 2
        // Winograd's transforms gather inputs `dilation` apart, which costs more as the dilation
        // grows: wide dilations need more channels to pay off (measured on the codec's shapes).
        winograd = stride == 1 && WinogradConvolution.supports(kernel: kernel) && outChannels % 8 == 0
            && inChannels >= reader.winogradMinimumChannels * max(1, dilation / 3)
            ? WinogradConvolution(weight: values.pointer, bias: bias.map { UnsafePointer($0.pointer) },
                                  outChannels: outChannels, inChannels: inChannels, kernel: kernel, dilation: dilation)
            : nil
        packed = winograd == nil ? PackedRows(values.pointer, rows: shape[0], columns: shape[1] * shape[2]) : nil
        weight = packed == nil && winograd?.direct == nil ? values : nil
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
        // Short pieces of a dilated convolution fill Winograd's tiles only partly: direct is cheaper.
        if let winograd, !accumulate, count >= 2 * winograd.tile * dilation {
            winograd.forward(x: x, ldx: ldx, count: count, y: out, ldy: y.count, snakeAlpha: snake)
        } else if let packed = packed ?? winograd?.direct {
            packed.convolve(inChannels: inChannels, kernel: kernel, stride: stride, dilation: dilation,
                            x: x, ldx: ldx, y: out, ldy: y.count, count: count, bias: b, accumulate: accumulate,
                            snakeAlpha: snake)
        } else {
            // The BLAS path (layers whose outputs do not come in eights) takes its snake separately.
            var input = x, inputStride = ldx, snaked: Signal?
            if let snake {
                let length = (count - 1) * stride + span + 1
                let copy = Signal(channels: inChannels, count: length)
                for c in 0..<inChannels { copy.row(c).update(from: x + c * ldx, count: length) }
                SignalKernels.snake(copy.pointer, ld: length, channels: inChannels, count: length, alpha: snake)
                snaked = copy
                input = UnsafePointer(copy.pointer)
                inputStride = length
            }
            Convolution.forward(weight: weight!.pointer, bias: b, outChannels: outChannels, inChannels: inChannels,
                                kernel: kernel, stride: stride, dilation: dilation,
                                x: input, ldx: inputStride, count: count, y: out, ldy: y.count, accumulate: accumulate)
            withExtendedLifetime(snaked) {}
        }
    }
}

/// A stride-1 convolution fed in pieces: it keeps the last `span` inputs, and gives each output
/// once the inputs it reads have arrived, so pieces give exactly the whole-signal result.
///
/// The input is read in place; only the few columns where the kept history meets the new piece
/// (and, at the end, where the piece meets the right padding) are copied.
struct ConvStream {
    let conv: Conv1d
    private var history: Signal

    init(_ conv: Conv1d) {
        precondition(conv.stride == 1)
        self.conv = conv
        history = .zeros(channels: conv.inChannels, count: conv.padding)
    }

    /// Outputs that `x` completes; `final` pads the right edge with zeros and gives the rest.
    mutating func push(_ x: Signal, final: Bool) -> Signal {
        let span = conv.span, kept = history.count
        let zeros = final ? span - conv.padding : 0
        let length = kept + x.count + zeros  // of history ++ x ++ zeros
        let count = max(0, length - span)
        let y = Signal(channels: conv.outChannels, count: count)
        // Outputs [0, head) read the history; [head, tail) lie inside x; [tail, count) read the zeros.
        let head = min(count, kept)
        let tail = max(head, min(count, kept + x.count - span))
        if head > 0 {
            let piece = slice(x, 0..<(head + span), zeros: zeros)
            conv.run(piece.pointer, ldx: piece.count, count: head, into: y, at: 0)
        }
        if tail > head {
            conv.run(x.pointer + (head - kept), ldx: x.count, count: tail - head, into: y, at: head)
        }
        if count > tail {
            let piece = slice(x, tail..<(count + span), zeros: zeros)
            conv.run(piece.pointer, ldx: piece.count, count: count - tail, into: y, at: tail)
        }
        history = slice(x, count..<length, zeros: zeros)
        return y
    }

    /// Columns `range` of history ++ x ++ zeros.
    private func slice(_ x: Signal, _ range: Range<Int>, zeros: Int) -> Signal {
        let out = Signal(channels: conv.inChannels, count: range.count)
        let kept = history.count
        for c in 0..<conv.inChannels {
            let row = out.row(c)
            for (i, t) in range.enumerated() {
                row[i] = t < kept ? history.row(c)[t] : t < kept + x.count ? x.row(c)[t - kept] : 0
            }
        }
        return out
    }
}

/// `nn.ConvTranspose1d` with its weight-norm folded (weight `[in, out, kernel]`), fed in pieces.
struct ConvTranspose1d {
    /// `[in, out·kernel]`, kept only for the BLAS path, when no packed form exists.
    let weight: FloatBuffer?
    let bias: FloatBuffer?
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let outputPadding: Int
    /// Wᵀ `[out·kernel, in]` packed for the product kernel.
    let packedTranspose: PackedRows?

    init(_ reader: WeightReader, _ prefix: String, inChannels expectedIn: Int, stride: Int, padding: Int, outputPadding: Int) throws {
        let (values, shape) = try reader.weight(prefix)
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }), shape[0] == expectedIn else {
            throw reader.fail("tensor '\(prefix)' has shape \(shape), a transposed convolution [\(expectedIn), out, kernel] expected")
        }
        inChannels = shape[0]
        outChannels = shape[1]
        kernel = shape[2]
        bias = try reader.floats(prefix + ".bias", shape: [shape[1]])
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        let rows = outChannels * kernel
        var transposed = [Float](repeating: 0, count: rows * inChannels)
        for i in 0..<inChannels { for r in 0..<rows { transposed[r * inChannels + i] = values[i * rows + r] } }
        let inputs = inChannels
        packedTranspose = transposed.withUnsafeBufferPointer { PackedRows($0.baseAddress!, rows: rows, columns: inputs) }
        weight = packedTranspose == nil ? values : nil
    }

    /// Output length for `count` inputs: `(count - 1)·stride - 2·padding + kernel + outputPadding`.
    func outputCount(_ count: Int) -> Int { max(0, (count - 1) * stride - 2 * padding + kernel + outputPadding) }
}

/// A transposed convolution fed in pieces. Each input spreads over `kernel` outputs; an output is
/// final once no later input can reach it, so pieces give exactly the whole-signal result.
struct ConvTransposeStream {
    let conv: ConvTranspose1d
    private var pending: Signal  // sums for outputs emitted..<emitted + pending.count
    private var emitted = 0
    private var inputs = 0

    init(_ conv: ConvTranspose1d) {
        self.conv = conv
        pending = .zeros(channels: conv.outChannels, count: 0)
    }

    mutating func push(_ x: Signal, final: Bool) -> Signal {
        let s = conv.stride, p = conv.padding, k = conv.kernel
        let n = x.count
        let total = inputs + n
        let reach = n > 0 ? (total - 1) * s + k - p : 0
        let ready = final ? conv.outputCount(total) : max(emitted, total * s - p)
        let end = max(emitted + pending.count, reach, ready)
        if end - emitted > pending.count {
            pending = pending.appending(.zeros(channels: conv.outChannels, count: 0), zeros: end - emitted - pending.count)
        }
        if n > 0 {
            let columns = FloatBuffer(count: conv.outChannels * k * n)
            if let packed = conv.packedTranspose {
                packed.multiply(x.pointer, ldb: n, n: n, into: columns.pointer, ldc: n)
            } else {
                Convolution.transposedColumns(weight: conv.weight!.pointer, outChannels: conv.outChannels,
                                              inChannels: conv.inChannels, kernel: k,
                                              x: x.pointer, ldx: n, count: n, z: columns.pointer)
            }
            Convolution.overlapAdd(z: columns.pointer, outChannels: conv.outChannels, kernel: k, count: n, stride: s,
                                   shift: p + emitted - inputs * s, y: pending.pointer, ldy: pending.count,
                                   yCount: pending.count)
        }
        inputs = total
        let out = pending.columns(0..<(ready - emitted))
        pending = pending.columns((ready - emitted)..<pending.count)
        emitted = ready
        if let bias = conv.bias {
            for c in 0..<out.channels {
                let row = out.row(c), b = bias[c]
                for t in 0..<out.count { row[t] += b }
            }
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

    /// In place.
    func apply(_ x: Signal) {
        precondition(x.channels == channels)
        SignalKernels.snake(x.pointer, ld: x.count, channels: channels, count: x.count, alpha: alpha.pointer)
    }
}
