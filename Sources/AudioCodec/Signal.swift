import Foundation
import Kernels

/// Heap samples with a stable address, left uninitialised unless asked: most signals are
/// written whole by the layer that makes them.
final class SampleBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, zeroed: Bool) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { pointer.deallocate() }
}

/// A channel-major signal of one batch item: `channels` rows of `count` samples, row-major
/// (PyTorch's `[1, C, T]` without the batch).
struct Signal {
    var channels: Int
    var count: Int
    var buffer: SampleBuffer

    /// A signal whose samples the caller writes.
    init(channels: Int, count: Int) {
        self.channels = channels
        self.count = count
        buffer = SampleBuffer(count: channels * count, zeroed: false)
    }

    init(channels: Int, count: Int, values: [Float]) {
        precondition(values.count == channels * count)
        self.init(channels: channels, count: count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// `count` silent columns of `channels` channels.
    static func zeros(channels: Int, count: Int) -> Signal {
        var signal = Signal(channels: channels, count: 0)
        signal.count = count
        signal.buffer = SampleBuffer(count: channels * count, zeroed: true)
        return signal
    }

    var pointer: UnsafeMutablePointer<Float> { buffer.pointer }

    func row(_ c: Int) -> UnsafeMutablePointer<Float> { buffer.pointer + c * count }

    var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: channels * count)) }

    /// Columns `range` as a signal of their own.
    func columns(_ range: Range<Int>) -> Signal {
        let out = Signal(channels: channels, count: range.count)
        guard !range.isEmpty else { return out }
        Self.rows(channels, work: channels * range.count) { c in
            out.row(c).update(from: row(c) + range.lowerBound, count: range.count)
        }
        return out
    }

    /// This signal followed in time by `other` (same channels), with `zeros` silent columns after.
    func appending(_ other: Signal, zeros: Int = 0) -> Signal {
        precondition(other.channels == channels || other.count == 0)
        let out = Signal(channels: channels, count: count + other.count + zeros)
        Self.rows(channels, work: channels * out.count) { c in
            out.row(c).update(from: row(c), count: count)
            if other.count > 0 { (out.row(c) + count).update(from: other.row(c), count: other.count) }
            if zeros > 0 { (out.row(c) + count + other.count).update(repeating: 0, count: zeros) }
        }
        return out
    }

    /// Adds columns `range` of `other` to columns `at..<at + range.count` of this signal, in place.
    func add(_ other: Signal, columns range: Range<Int>, at: Int) {
        precondition(other.channels == channels && at + range.count <= count)
        Self.rows(channels, work: channels * range.count) { c in
            let a = row(c) + at, b = other.row(c) + range.lowerBound
            for i in 0..<range.count { a[i] += b[i] }
        }
    }

    /// Adds `other` (same shape) in place.
    func add(_ other: Signal) {
        precondition(other.channels == channels && other.count == count)
        add(other, columns: 0..<count, at: 0)
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

    /// Runs `body` for each channel, split across the cores for large signals.
    static func rows(_ channels: Int, work: Int, _ body: (Int) -> Void) {
        let parts = work >= 1 << 17 ? min(ThreadCount.current, channels) : 1
        if parts <= 1 {
            for c in 0..<channels { body(c) }
        } else {
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for c in (channels * part / parts)..<(channels * (part + 1) / parts) { body(c) }
            }
        }
    }
}
