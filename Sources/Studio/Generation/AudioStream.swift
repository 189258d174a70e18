import Foundation

/// Audio that grows while it is generated and is read while it grows (the player follows it, and the
/// stream tells the generator how far ahead of its listener it is). Also holds finished audio (a take
/// read from disk, a whole dialogue with gaps). Thread-safe.
public final class AudioStream: @unchecked Sendable {
    public enum End: Equatable, Sendable {
        case open
        case finished
        case failed(String)
    }

    private let lock = NSLock()
    private var samples: [Float] = []
    private var end: End = .open
    /// Sample offsets where script lines start, with their line ids (for the transport bar).
    private var marks: [(offset: Int, line: Int)] = []
    /// How far a player has read, and when it last read or asked what there is (monotonic seconds).
    private var readEnd = 0
    private var followed: Double?
    /// A player that has not looked for this long has stopped following (paused, or playing something else);
    /// one that is playing reads every device period (tens of milliseconds).
    public static let followingWindow = 0.25

    public init() {}

    public init(finished samples: [Float]) {
        self.samples = samples
        self.end = .finished
    }

    public func append(_ more: [Float]) {
        lock.lock()
        samples.append(contentsOf: more)
        lock.unlock()
    }

    /// Notes that line `line` starts at the current end.
    public func markLine(_ line: Int) {
        lock.lock()
        marks.append((samples.count, line))
        lock.unlock()
    }

    public func finish() {
        lock.lock()
        if end == .open { end = .finished }
        lock.unlock()
    }

    public func fail(_ reason: String) {
        lock.lock()
        if end == .open { end = .failed(reason) }
        lock.unlock()
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return samples.count
    }

    public var state: End {
        lock.lock()
        defer { lock.unlock() }
        return end
    }

    /// Copies up to `buffer.count` samples from `offset`; returns how many, and whether the stream ends there.
    public func read(from offset: Int, into buffer: UnsafeMutableBufferPointer<Float>) -> (count: Int, ended: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let n = max(0, min(buffer.count, samples.count - offset))
        readEnd = max(readEnd, offset + n)
        followed = ProcessInfo.processInfo.systemUptime
        if n > 0 {
            samples.withUnsafeBufferPointer { src in
                buffer.baseAddress!.update(from: src.baseAddress! + offset, count: n)
            }
        }
        return (n, end != .open && offset + n >= samples.count)
    }

    /// Samples from `offset` on, and whether the stream has ended (finished or failed).
    public func available(from offset: Int) -> (count: Int, ended: Bool) {
        lock.lock()
        defer { lock.unlock() }
        followed = ProcessInfo.processInfo.systemUptime
        return (max(0, samples.count - offset), end != .open)
    }

    /// A player has read or looked at the stream (someone listened to it, if only for a moment).
    public var wasFollowed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return followed != nil
    }

    /// Samples written that a player following the stream has not read yet; nil when no player has
    /// read or looked within `followingWindow` seconds (nobody listens).
    public var listenerLead: Int? {
        lock.lock()
        defer { lock.unlock() }
        guard let followed, ProcessInfo.processInfo.systemUptime - followed <= Self.followingWindow else { return nil }
        return samples.count - readEnd
    }

    /// Samples written past the furthest a player has read (what a reader ahead of its listener holds).
    public var unread: Int {
        lock.lock()
        defer { lock.unlock() }
        return samples.count - readEnd
    }

    /// All samples so far.
    public var snapshot: [Float] {
        lock.lock()
        defer { lock.unlock() }
        return samples
    }

    /// Peak magnitude of `buckets` equal slices of `range` (clipped to what exists): a waveform sparkline.
    public func peaks(_ range: Range<Int>, buckets: Int) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        guard buckets > 0, range.count > 0 else { return [] }
        return (0..<buckets).map { b in
            let lo = range.lowerBound + range.count * b / buckets
            let hi = min(samples.count, range.lowerBound + range.count * (b + 1) / buckets)
            guard lo < hi, lo >= 0 else { return 0 }
            var peak: Float = 0
            for i in lo..<hi { peak = max(peak, abs(samples[i])) }
            return peak
        }
    }

    /// The line marks: where each script line starts.
    public var lineMarks: [(offset: Int, line: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return marks
    }

    /// Where a listener skipping from `offset` goes: on to the next line's start (nil after the last), or back
    /// to the start of the line heard, or of the one before when that one began less than `grace` samples ago
    /// (as a player's "previous" button does). Lines a cue placed over earlier ones are taken in time order.
    public func lineStart(skippingFrom offset: Int, forward: Bool, grace: Int) -> Int? {
        let starts = lineMarks.map(\.offset).sorted()
        if forward { return starts.first { $0 > offset } }
        guard let i = starts.lastIndex(where: { $0 <= offset }) else { return 0 }
        return offset - starts[i] < grace && i > 0 ? starts[i - 1] : starts[i]
    }

    /// The script line playing at `offset` (the last mark at or before it).
    public func line(at offset: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return marks.last(where: { $0.offset <= offset })?.line
    }
}
