import Foundation
import Studio
import Testing

/// The stream a player follows: what is appended reads back whole, across the chunks it is kept in; its
/// waveform of a long stretch comes from block peaks and agrees with the samples; a listen-through lets go of
/// what its listener left far behind, and reads silence there.
@Suite struct AudioStreamTests {
    /// Deterministic samples in -1...1.
    static func samples(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(sin(Double($0 &* 7919 &+ seed) * 0.001)) * Float(($0 + seed) % 97) / 97 }
    }

    static func read(_ stream: AudioStream, from offset: Int, count: Int, pieces: Int) -> [Float] {
        var out: [Float] = []
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: pieces)
        defer { buffer.deallocate() }
        while out.count < count {
            let (n, _) = stream.read(from: offset + out.count, into: UnsafeMutableBufferPointer(rebasing: buffer[..<min(pieces, count - out.count)]))
            if n == 0 { break }
            out += buffer[..<n]
        }
        return out
    }

    @Test func whatIsAppendedReadsBackAcrossChunks() {
        let stream = AudioStream()
        var all: [Float] = []
        // Pieces of odd sizes, some longer than a chunk (65,536 samples).
        for (k, size) in [1, 1_023, 70_000, 5, 131_072, 999, 65_536].enumerated() {
            let piece = Self.samples(size, seed: k)
            stream.append(piece)
            all += piece
        }
        #expect(stream.count == all.count && stream.firstKept == 0)
        #expect(stream.snapshot == all)
        for (offset, pieces) in [(0, 4_096), (65_530, 17), (131_000, 70_001), (all.count - 3, 10)] {
            #expect(Self.read(stream, from: offset, count: all.count - offset, pieces: pieces) == Array(all[offset...]))
        }
        #expect(AudioStream(finished: all).snapshot == all && AudioStream(finished: []).count == 0)
    }

    @Test func theWaveformAgreesWithTheSamples() {
        let all = Self.samples(80 * 4_096 + 500, seed: 3)
        let stream = AudioStream()
        stream.append(Array(all[..<1_000]))
        stream.append(Array(all[1_000...]))
        func exact(_ range: Range<Int>, _ buckets: Int) -> [Float] {
            (0..<buckets).map { b in
                let lo = range.lowerBound + range.count * b / buckets, hi = min(all.count, range.lowerBound + range.count * (b + 1) / buckets)
                return lo < hi ? all[lo..<hi].map(abs).max()! : 0
            }
        }
        // Slices of whole blocks (4,096 samples: four blocks each) come from the blocks and are exact.
        #expect(stream.peaks(0..<(80 * 4_096), buckets: 80) == exact(0..<(80 * 4_096), 80))
        // Short slices come from the samples.
        #expect(stream.peaks(1_234..<3_234, buckets: 10) == exact(1_234..<3_234, 10))
        // Slices not on block bounds take the blocks they touch: never less than their own peak.
        let loose = stream.peaks(777..<(all.count - 3), buckets: 37), own = exact(777..<(all.count - 3), 37)
        #expect(zip(loose, own).allSatisfy { $0 >= $1 } && loose.max() == own.max())
    }

    /// A line made at 0.4x real time (0.2 s of audio every half second), expected to last 10 s: played from its
    /// start it runs dry unless 6 s are there first (10 s x (1 - 0.4)); the wait is said as it shrinks.
    @Test func aLineMadeSlowerThanRealTimeWaitsOnceToPlayThrough() {
        let stream = AudioStream()
        #expect(stream.secondsUntilPlaysThrough(from: 0, now: 0) == nil)  // nothing expected: the lead decides
        stream.expect(240_000)
        stream.append([Float](repeating: 0.1, count: 4_800), now: 100)
        #expect(stream.secondsUntilPlaysThrough(from: 0, now: 100.1) == .infinity)  // no pace yet
        var t = 100.0
        while stream.count < 144_000 - 4_800 {
            t += 0.5
            stream.append([Float](repeating: 0.1, count: 4_800), now: t)
        }
        // 5.8 s there after 14 s: the rest (4.2 s) comes in 10.5 s, and playing to the end takes 10 s: half a second short.
        let wait = stream.secondsUntilPlaysThrough(from: 0, now: t) ?? -1
        #expect(stream.count == 139_200 && abs(wait - 0.5) < 1e-9, "\(wait)")
        t += 0.5
        stream.append([Float](repeating: 0.1, count: 4_800), now: t)
        #expect(stream.secondsUntilPlaysThrough(from: 0, now: t) == 0)  // 6 s there
        // From further on there is less ahead of the player: it would wait longer. Past the expected length it cannot tell.
        let later = stream.secondsUntilPlaysThrough(from: 100_000, now: t) ?? -1
        #expect(abs(later - (10 - 140_000.0 / 24_000)) < 1e-9, "\(later)")
        stream.append([Float](repeating: 0.1, count: 100_000), now: t + 1)
        #expect(stream.secondsUntilPlaysThrough(from: 0, now: t + 1) == nil)
    }

    @Test func aListenThroughLetsGoOfWhatWasHeardLongAgo() {
        let keep = 100_000
        let stream = AudioStream(keepingBehind: keep)
        var all: [Float] = []
        var heard = 0
        for k in 0..<40 {
            let piece = Self.samples(25_000, seed: k)
            stream.append(piece)
            all += piece
            heard += Self.read(stream, from: heard, count: 20_000, pieces: 4_096).count
        }
        #expect(heard == 800_000 && stream.count == 1_000_000)
        // Whole chunks more than `keep` behind the listener went; what is kept reads as it was, what went as silence.
        let first = stream.firstKept
        #expect(first > 0 && first <= heard - keep && first % 65_536 == 0 && heard - keep - first < 2 * 65_536)
        #expect(Self.read(stream, from: first, count: all.count - first, pieces: 10_000) == Array(all[first...]))
        #expect(Self.read(stream, from: first - 10, count: 20, pieces: 20) == [Float](repeating: 0, count: 10) + all[first..<(first + 10)])
        // The waveform still covers all of it, from the blocks (8 slices of 122 blocks).
        let peaks = stream.peaks(0..<999_424, buckets: 8)
        #expect(peaks == (0..<8).map { b in all[(b * 124_928)..<((b + 1) * 124_928)].map(abs).max()! })
    }
}
