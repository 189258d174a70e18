import AudioIO
import Foundation

/// The dialogue as exports give it, worked out a stretch at a time: the lines laid out, the beds under them,
/// the peaks rounded off where two sounds add up. An export writes a book of many hours a stretch at a time
/// instead of holding it whole, several times over, in memory; "play from here" plays it as it is read.
public struct DialogueMix {
    public let timeline: [TimelineEntry]
    /// Each timeline entry's audio (empty for an entry no stretch asked for will reach any more).
    public let pieces: [[Float]]
    let planner: DialoguePlanner
    let spans: [BedSpan]
    let sounds: BedSounds?
    /// Where sounds meet (lines overlapping, beds under lines): the soft limit applies there alone.
    let meetings: [Range<Int>]
    /// Samples, to the end of the last line or bed.
    public let length: Int

    /// `sounds`: where the beds' files are found (none: no beds); their sounds are read here, and a file
    /// that cannot be read is an error naming its note.
    public init(_ planner: DialoguePlanner, _ timeline: [TimelineEntry], _ pieces: [[Float]], bedsFrom sounds: BedSounds?) throws {
        self.planner = planner
        self.timeline = timeline
        self.pieces = pieces
        self.sounds = sounds
        spans = sounds == nil ? [] : planner.bedSpans(timeline)
        try sounds?.load(spans)
        meetings = Timeline.overlaps(timeline) + spans.map(\.range)
        length = max(Timeline.length(timeline), spans.map(\.range.upperBound).max() ?? 0)
    }

    /// There are beds under the lines.
    public var hasBeds: Bool { !spans.isEmpty }

    /// The dialogue's samples in `range`.
    public func samples(_ range: Range<Int>) -> [Float] {
        var audio = Timeline.mix(timeline, pieces, range: range)
        if hasBeds {
            for (k, x) in beds(range).enumerated() { audio[k] += x }
        }
        for meeting in meetings {
            let here = meeting.clamped(to: range)
            Loudness.softLimit(&audio, in: (here.lowerBound - range.lowerBound)..<(here.upperBound - range.lowerBound))
        }
        return audio
    }

    /// The beds alone in `range` (silence without any).
    public func beds(_ range: Range<Int>) -> [Float] {
        guard let sounds, hasBeds else { return [Float](repeating: 0, count: range.count) }
        return planner.bedSamples(spans, range, sounds: sounds)
    }

    /// Only the lines `include` chooses (by timeline index), in `range`: a stem, as long as the dialogue.
    public func stem(_ range: Range<Int>, of include: (Int) -> Bool) -> [Float] {
        Timeline.mix(timeline, pieces.indices.map { include($0) ? pieces[$0] : nil }, range: range)
    }
}
