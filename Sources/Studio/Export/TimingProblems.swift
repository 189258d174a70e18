import AudioIO
import Foundation

/// A line that runs past its time (`DialoguePlanner.timingProblems`).
public struct CueOverrun: Equatable, Sendable {
    /// Script line index.
    public var line: Int
    /// How far past its cue's end (counted from where it starts), or into the next line's cue.
    public var seconds: Double
    /// The next line, when this one runs into its cue (by more than `Timeline.cueTolerance`).
    public var intoCueOf: Int?

    public init(line: Int, seconds: Double, intoCueOf: Int? = nil) {
        self.line = line
        self.seconds = seconds
        self.intoCueOf = intoCueOf
    }

    /// "line 5 runs 2.4 s into line 7's cue", "line 4 runs 2.8 s past its cue".
    public var said: String {
        intoCueOf.map { String(format: "line %d runs %.1f s into line %d's cue", line + 1, seconds, $0 + 1) }
            ?? String(format: "line %d runs %.1f s past its cue", line + 1, seconds)
    }
}

/// A cued line that starts after its cue: a line before it still sounded there, and it waited for that line
/// to end (`Timeline.layout`).
public struct CueDelay: Equatable, Sendable {
    /// Script line index.
    public var line: Int
    /// How long after its cue it starts.
    public var seconds: Double
    /// The line it waited for (the one that ends last before it).
    public var after: Int

    public init(line: Int, seconds: Double, after: Int) {
        self.line = line
        self.seconds = seconds
        self.after = after
    }
}

/// A line whose `# overlap:` asks it to start earlier than the line before it starts: it starts with that line
/// (`Timeline.layout`), which the writer did not ask for either.
public struct LongOverlap: Equatable, Sendable {
    /// Script line index.
    public var line: Int
    /// The overlap asked for (less any pause noted with it), and how long the line before is, in seconds.
    public var seconds: Double
    public var before: Int
    public var beforeSeconds: Double

    public init(line: Int, seconds: Double, before: Int, beforeSeconds: Double) {
        self.line = line
        self.seconds = seconds
        self.before = before
        self.beforeSeconds = beforeSeconds
    }

    /// "line 7's overlap (1.5 s) is longer than line 6 (1.1 s): they start together".
    public var said: String {
        String(format: "line %d's overlap (%.1f s) is longer than line %d (%.1f s): they start together",
               line + 1, seconds, before + 1, beforeSeconds)
    }
}

/// What a laid-out dialogue's cues and overlaps come to: the lines the export names, and the studio marks (`»`)
/// and stops at (`)`).
public struct TimingProblems: Equatable, Sendable {
    public private(set) var overruns: [CueOverrun] = []
    public private(set) var delays: [CueDelay] = []
    public private(set) var longOverlaps: [LongOverlap] = []
    private var overrunOf: [Int: Int] = [:], delayOf: [Int: Int] = [:], longOverlapOf: [Int: Int] = [:]

    public init(overruns: [CueOverrun] = [], delays: [CueDelay] = [], longOverlaps: [LongOverlap] = []) {
        self.overruns = overruns
        self.delays = delays
        self.longOverlaps = longOverlaps
        // The studio asks of each line it draws: found at once, in a script of any length.
        overrunOf = Self.index(overruns.map(\.line))
        delayOf = Self.index(delays.map(\.line))
        longOverlapOf = Self.index(longOverlaps.map(\.line))
    }

    private static func index(_ lines: [Int]) -> [Int: Int] {
        Dictionary(lines.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public var isEmpty: Bool { overruns.isEmpty && delays.isEmpty && longOverlaps.isEmpty }

    /// How script line `i` runs past its cue or into the next, if it does.
    public func overrun(line i: Int) -> CueOverrun? { overrunOf[i].map { overruns[$0] } }

    /// How long script line `i` waits past its cue, if it does.
    public func delay(line i: Int) -> CueDelay? { delayOf[i].map { delays[$0] } }

    /// How script line `i`'s overlap is longer than the line before it, if it is.
    public func longOverlap(line i: Int) -> LongOverlap? { longOverlapOf[i].map { longOverlaps[$0] } }

    /// In a few words, naming the lines ("2 lines run past their cues (4, 5); line 7 starts 3.8 s after its cue,
    /// when line 5 ends"); nil when every line keeps its cue and overlap.
    public var verdict: String? {
        var parts: [String] = []
        if let first = overruns.first {
            parts.append(overruns.count == 1 ? first.said
                : "\(overruns.count) lines run past their cues (\(lineNumbers(overruns.map(\.line))))")
        }
        if let first = delays.first {
            parts.append(delays.count == 1
                ? String(format: "line %d starts %.1f s after its cue, when line %d ends", first.line + 1, first.seconds, first.after + 1)
                : "\(delays.count) lines start after their cues, when the line before ends (\(lineNumbers(delays.map(\.line))))")
        }
        if let first = longOverlaps.first {
            parts.append(longOverlaps.count == 1 ? first.said
                : "\(longOverlaps.count) lines' overlaps are longer than the line before, so they start with it (\(lineNumbers(longOverlaps.map(\.line))))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

extension DialoguePlanner {
    /// The lines of an exported timeline that run past their cue's end or into the next line's cue by more than
    /// `Timeline.cueTolerance` (a dub's lines that must be said faster, or written shorter), and the cued lines
    /// that wait for a line before them. A line's own cue is counted from where it starts: one that waited is
    /// named for that, and again only if its take is longer than its cue. And the lines whose overlap is longer
    /// than the line before them.
    public func timingProblems(_ timeline: [TimelineEntry]) -> TimingProblems {
        let rate = Double(AudioFormat.sampleRate)
        var overruns: [CueOverrun] = [], delays: [CueDelay] = [], longOverlaps: [LongOverlap] = []
        var last: TimelineEntry?  // the line so far that ends last
        let places = timeline.map { placement(before: $0.line) }
        for (k, entry) in timeline.enumerated() {
            let cue = self.cue(before: entry.line)
            var over = Int.min, into: Int?
            if let cue, let end = cue.end {
                let at = Self.samples(cue.start)
                over = entry.end - (Self.samples(end) + max(0, entry.start - at))
            }
            if k + 1 < timeline.count, let next = places[k + 1].at, entry.end - next > over {
                over = entry.end - next
                into = over > Timeline.cueTolerance ? timeline[k + 1].line : nil
            }
            if over > Timeline.cueTolerance {
                overruns.append(CueOverrun(line: entry.line, seconds: Double(over) / rate, intoCueOf: into))
            }
            if let cue, let before = last, entry.start > Self.samples(cue.start) {
                delays.append(CueDelay(line: entry.line, seconds: Double(entry.start - Self.samples(cue.start)) / rate, after: before.line))
            }
            let place = places[k]
            if k > 0, place.at == nil, place.overlap > 0, place.overlap - place.pause > timeline[k - 1].length {
                let before = timeline[k - 1]
                longOverlaps.append(LongOverlap(line: entry.line, seconds: Double(place.overlap - place.pause) / rate,
                                                before: before.line, beforeSeconds: Double(before.length) / rate))
            }
            if last.map({ entry.end >= $0.end }) ?? true { last = entry }
        }
        return TimingProblems(overruns: overruns, delays: delays, longOverlaps: longOverlaps)
    }
}
