import Kernels

/// A channel-major signal of one batch item: `channels` rows of `count` samples, row-major
/// (PyTorch's `[1, C, T]` without the batch).
struct Signal {
    var channels: Int
    var count: Int
    var buffer: FloatBuffer

    init(channels: Int, count: Int) {
        self.channels = channels
        self.count = count
        buffer = FloatBuffer(count: channels * count)
    }

    init(channels: Int, count: Int, values: [Float]) {
        precondition(values.count == channels * count)
        self.channels = channels
        self.count = count
        buffer = FloatBuffer(values)
    }

    var pointer: UnsafeMutablePointer<Float> { buffer.pointer }

    func row(_ c: Int) -> UnsafeMutablePointer<Float> { buffer.pointer + c * count }

    var values: [Float] { Array(buffer.buffer.prefix(channels * count)) }

    /// Columns `range` as a signal of their own.
    func columns(_ range: Range<Int>) -> Signal {
        let out = Signal(channels: channels, count: range.count)
        guard !range.isEmpty else { return out }
        for c in 0..<channels { out.row(c).update(from: row(c) + range.lowerBound, count: range.count) }
        return out
    }

    /// This signal followed in time by `other` (same channels), with `zeros` silent columns after.
    func appending(_ other: Signal, zeros: Int = 0) -> Signal {
        precondition(other.channels == channels || other.count == 0)
        let out = Signal(channels: channels, count: count + other.count + zeros)
        for c in 0..<channels {
            out.row(c).update(from: row(c), count: count)
            if other.count > 0 { (out.row(c) + count).update(from: other.row(c), count: other.count) }
        }
        return out
    }

    /// `count` silent columns of `channels` channels.
    static func zeros(channels: Int, count: Int) -> Signal { Signal(channels: channels, count: count) }

    /// Adds `other` (same shape) in place.
    func add(_ other: Signal) {
        precondition(other.channels == channels && other.count == count)
        let n = channels * count
        let a = pointer, b = other.pointer
        for i in 0..<n { a[i] += b[i] }
    }

    /// Transposed copy: `[count, channels]` rows (one row per time step).
    func timeMajor() -> [Float] {
        var out = [Float](repeating: 0, count: channels * count)
        for c in 0..<channels {
            let r = row(c)
            for t in 0..<count { out[t * channels + c] = r[t] }
        }
        return out
    }

    /// A signal from time-major rows `[count, channels]`.
    static func fromTimeMajor(_ values: UnsafePointer<Float>, count: Int, channels: Int) -> Signal {
        let out = Signal(channels: channels, count: count)
        for t in 0..<count {
            for c in 0..<channels { out.row(c)[t] = values[t * channels + c] }
        }
        return out
    }
}
