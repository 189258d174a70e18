import Foundation
import Kernels

/// Heap samples with a stable address, left uninitialised unless asked: most signals are
/// written whole by the layer that makes them.
final class SampleBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let capacity: Int

    init(count: Int, zeroed: Bool) {
        self.count = count
        (pointer, capacity) = BlockPool.shared.take(max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { BlockPool.shared.give(pointer, capacity: capacity) }
}

/// Large sample blocks kept for reuse. The codec makes and drops signals of the same few sizes
/// over and over; blocks beyond malloc's mapping threshold would otherwise come back from the
/// kernel as fresh pages each time, and clearing those cost as much as a convolution.
final class BlockPool: @unchecked Sendable {
    static let shared = BlockPool()
    /// Blocks at least this large (in floats) are pooled; smaller ones go to malloc.
    static let minimumFloats = 1 << 18
    /// Floats the pool holds at most while idle.
    static let limitFloats = 1 << 26

    private let lock = NSLock()
    private var free: [(capacity: Int, pointer: UnsafeMutablePointer<Float>)] = []
    private var held = 0

    func take(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        guard count >= Self.minimumFloats else { return (.allocate(capacity: count), count) }
        lock.lock()
        // The smallest free block that fits without wasting more than half of it.
        var best: Int?
        for (i, block) in free.enumerated() where block.capacity >= count && block.capacity <= 2 * count {
            if best == nil || block.capacity < free[best!].capacity { best = i }
        }
        if let best {
            let block = free.remove(at: best)
            held -= block.capacity
            lock.unlock()
            return (block.pointer, block.capacity)
        }
        lock.unlock()
        return (.allocate(capacity: count), count)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        guard capacity >= Self.minimumFloats else { pointer.deallocate(); return }
        lock.lock()
        free.append((capacity, pointer))
        held += capacity
        // Over the limit: let the oldest blocks go.
        while held > Self.limitFloats, !free.isEmpty {
            let old = free.removeFirst()
            held -= old.capacity
            old.pointer.deallocate()
        }
        lock.unlock()
    }

    /// Returns every pooled block to the system (after a long encode, say).
    func drain() {
        lock.lock()
        for block in free { block.pointer.deallocate() }
        free.removeAll()
        held = 0
        lock.unlock()
    }
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

    /// `samples` as one-channel signals of `size` samples (the last one shorter), each with whether it is
    /// the last, for the streams that take a long clip in pieces.
    static func pieces(of samples: [Float], size: Int, _ body: (Signal, _ final: Bool) -> Void) {
        var start = 0
        repeat {
            let end = min(samples.count, start + size)
            let piece = Signal(channels: 1, count: end - start)
            samples.withUnsafeBufferPointer { piece.pointer.update(from: $0.baseAddress! + start, count: end - start) }
            body(piece, end == samples.count)
            start = end
        } while start < samples.count
    }

    /// Signals of `channels` channels one after another in time.
    static func joining(_ pieces: [Signal], channels: Int) -> Signal {
        let out = Signal(channels: channels, count: pieces.reduce(0) { $0 + $1.count })
        var at = 0
        for piece in pieces where piece.count > 0 {
            precondition(piece.channels == channels)
            rows(channels, work: channels * piece.count) { c in (out.row(c) + at).update(from: piece.row(c), count: piece.count) }
            at += piece.count
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
            ThreadPool.shared.run(tasks: parts) { part in
                for c in (channels * part / parts)..<(channels * (part + 1) / parts) { body(c) }
            }
        }
    }
}
