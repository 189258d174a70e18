import AudioIO
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
    /// The samples kept, in chunks of `chunkSize` (the last one filling), from `base` on: appending never
    /// copies what is there, and a listen-through of a whole book lets go of what its listener left far behind.
    private var chunks: [[Float]] = []
    private var base = 0
    private var stored = 0
    /// The peak magnitude of every `block` samples from the start, kept when the samples go: the waveform of
    /// an hour is drawn from these, not from the hour's samples (and not with the lock held that long).
    private var blockPeaks: [Float] = []
    private static let chunkSize = 1 << 16, block = 1024
    /// How far behind the furthest a player has read samples are kept (nil: all of them).
    private let keepingBehind: Int?
    /// About how many samples it will hold when it ends (a line's expected length), and when its first and
    /// latest samples came (monotonic seconds): how fast it grows.
    private var expected: Int?
    private var firstCame: Double?, lastCame = 0.0, firstCount = 0
    private var end: End = .open
    /// Sample offsets where script lines start, with their line ids (for the transport bar).
    private var marks: [(offset: Int, line: Int)] = []
    /// How far a player has read, and when it last read or asked what there is (monotonic seconds).
    private var readEnd = 0
    private var followed: Double?
    /// A player that has not looked for this long has stopped following (paused, or playing something else);
    /// one that is playing reads every device period (tens of milliseconds).
    public static let followingWindow = 0.25

    /// `keepingBehind`: samples more than this far behind the furthest a player has read are let go (a
    /// listen-through of a book); reading there gives silence (`firstKept` says where the samples start).
    public init(keepingBehind: Int? = nil) {
        self.keepingBehind = keepingBehind
    }

    public init(finished samples: [Float]) {
        keepingBehind = nil
        end = .finished
        append(samples)
    }

    /// Appends `more`; `now` (monotonic seconds) is when it came, for how fast the stream grows.
    public func append(_ more: [Float], now: Double = ProcessInfo.processInfo.systemUptime) {
        lock.lock()
        defer { lock.unlock() }
        if firstCame == nil {
            firstCame = now
            firstCount = base + stored + more.count
        }
        lastCame = now
        var from = 0
        while from < more.count {
            if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
                chunks.append([])
                chunks[chunks.count - 1].reserveCapacity(Self.chunkSize)
            }
            let n = min(more.count - from, Self.chunkSize - chunks[chunks.count - 1].count)
            chunks[chunks.count - 1].append(contentsOf: more[from..<(from + n)])
            from += n
        }
        // The block peaks of what came: the last block before it may have been partly filled.
        let total = base + stored
        var at = total
        while at < total + more.count {
            let b = at / Self.block, upTo = min(total + more.count, (b + 1) * Self.block)
            var peak: Float = b < blockPeaks.count ? blockPeaks[b] : 0
            for i in (at - total)..<(upTo - total) { peak = max(peak, abs(more[i])) }
            if b < blockPeaks.count { blockPeaks[b] = peak } else { blockPeaks.append(peak) }
            at = upTo
        }
        stored += more.count
        // Whole chunks far enough behind the listener go.
        if let keep = keepingBehind {
            while chunks.count > 1, base + Self.chunkSize <= readEnd - keep {
                chunks.removeFirst()
                base += Self.chunkSize
                stored -= Self.chunkSize
            }
        }
    }

    /// The stream is expected to hold about `samples` when it ends (a line being made: its expected length).
    public func expect(_ samples: Int) {
        lock.lock()
        expected = samples
        lock.unlock()
    }

    /// How long before playing from `offset` would reach the expected end without running dry, at the pace the
    /// samples have come since the first: 0 when it would now, infinity before a quarter second of growing tells
    /// the pace; nil without an expected length, once ended, or once past the expected length (only a guess of
    /// the words' length: the player's lead decides then).
    public func secondsUntilPlaysThrough(from offset: Int, now: Double = ProcessInfo.processInfo.systemUptime) -> Double? {
        lock.lock()
        defer { lock.unlock() }
        let total = base + stored
        guard end == .open, let expected, total < expected else { return nil }
        guard let first = firstCame, lastCame - first >= 0.25, now > first else { return .infinity }
        // The pace, in samples a second of wall time. Played from `offset`, the end is reached in
        // (expected - offset) / rate seconds; the rest comes in (expected - total) / pace. Slower than real time,
        // the last samples are the ones that come nearest to being late, so playing through needs the second no
        // longer than the first; each second of waiting takes a second off it.
        let pace = Double(total - firstCount) / (now - first), rate = Double(AudioFormat.sampleRate)
        guard pace > 0 else { return .infinity }
        return max(0, Double(expected - total) / pace - Double(expected - offset) / rate)
    }

    /// Where the samples kept start: 0 unless a listen-through let go of those long heard (`keepingBehind`).
    public var firstKept: Int {
        lock.lock()
        defer { lock.unlock() }
        return base
    }

    /// Copies `count` samples from `offset` (kept or not: silence where they were let go) to `destination`;
    /// the lock is held.
    private func copy(from offset: Int, count: Int, to destination: UnsafeMutablePointer<Float>) {
        var at = offset, written = 0
        while written < count {
            if at < base {
                let n = min(count - written, base - at)
                (destination + written).update(repeating: 0, count: n)
                at += n
                written += n
                continue
            }
            let chunk = (at - base) / Self.chunkSize, within = (at - base) % Self.chunkSize
            let n = min(count - written, chunks[chunk].count - within)
            chunks[chunk].withUnsafeBufferPointer { (destination + written).update(from: $0.baseAddress! + within, count: n) }
            at += n
            written += n
        }
    }

    /// Notes that line `line` starts at the current end.
    public func markLine(_ line: Int) {
        lock.lock()
        marks.append((base + stored, line))
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
        return base + stored
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
        let total = base + stored
        let n = max(0, min(buffer.count, total - offset))
        readEnd = max(readEnd, offset + n)
        followed = ProcessInfo.processInfo.systemUptime
        if n > 0 { copy(from: offset, count: n, to: buffer.baseAddress!) }
        return (n, end != .open && offset + n >= total)
    }

    /// Samples from `offset` on, and whether the stream has ended (finished or failed).
    public func available(from offset: Int) -> (count: Int, ended: Bool) {
        lock.lock()
        defer { lock.unlock() }
        followed = ProcessInfo.processInfo.systemUptime
        return (max(0, base + stored - offset), end != .open)
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
        return base + stored - readEnd
    }

    /// Samples written past the furthest a player has read (what a reader ahead of its listener holds).
    public var unread: Int {
        lock.lock()
        defer { lock.unlock() }
        return base + stored - readEnd
    }

    /// All samples so far (silence where a listen-through let them go).
    public var snapshot: [Float] {
        lock.lock()
        defer { lock.unlock() }
        let total = base + stored
        return [Float](unsafeUninitializedCapacity: total) { buffer, count in
            if total > 0 { copy(from: 0, count: total, to: buffer.baseAddress!) }
            count = total
        }
    }

    /// Peak magnitude of `buckets` equal slices of `range` (clipped to what exists): a waveform sparkline. A
    /// slice of a few blocks or more is measured by the blocks it touches, so that an hour's waveform costs
    /// its blocks, not its samples.
    public func peaks(_ range: Range<Int>, buckets: Int) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        guard buckets > 0, range.count > 0 else { return [] }
        let total = base + stored
        return (0..<buckets).map { b in
            let lo = max(0, range.lowerBound + range.count * b / buckets)
            let hi = min(total, range.lowerBound + range.count * (b + 1) / buckets)
            guard lo < hi else { return 0 }
            var peak: Float = 0
            if hi - lo >= 4 * Self.block || lo < base {
                for k in (lo / Self.block)...((hi - 1) / Self.block) { peak = max(peak, blockPeaks[k]) }
            } else {
                var at = lo
                while at < hi {
                    let chunk = (at - base) / Self.chunkSize, within = (at - base) % Self.chunkSize
                    let n = min(hi - at, chunks[chunk].count - within)
                    for i in within..<(within + n) { peak = max(peak, abs(chunks[chunk][i])) }
                    at += n
                }
            }
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
