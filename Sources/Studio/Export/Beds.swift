import AudioIO
import Foundation

/// Where a `# bed:` note's sound lies under the laid-out dialogue.
public struct BedSpan: Equatable, Sendable {
    /// The script line of its note.
    public var note: Int
    public var file: String
    /// dB.
    public var gain: Double
    /// Samples of the dialogue.
    public var range: Range<Int>
}

/// Sounds laid under the dialogue (`BedNote`): room tone under a scene, music under an opening.
extension DialoguePlanner {
    /// Beds fade in and out over a second.
    static let bedFade = AudioFormat.sampleRate

    /// Each bed's stretch of a laid-out dialogue: from a second before the first line after its note (not
    /// before the start) to a second after the last line before the next bed note, but not into a line
    /// after that note. A bed with no line under it has none.
    public func bedSpans(_ timeline: [TimelineEntry]) -> [BedSpan] {
        let notes = project.script.indices.compactMap { i in ScriptLine(project.script[i]).bed.map { (line: i, note: $0) } }
        var spans: [BedSpan] = []
        for (k, (line, note)) in notes.enumerated() {
            guard case .start(let file, let gain) = note else { continue }
            let until = k + 1 < notes.count ? notes[k + 1].line : Int.max
            let under = timeline.filter { $0.line > line && $0.line < until }
            guard let first = under.first else { continue }
            let after = timeline.first { $0.line > until }?.start ?? Int.max
            let start = max(0, first.start - Self.bedFade)
            let end = max(first.end, min(Timeline.length(under) + Self.bedFade, after))
            spans.append(BedSpan(note: line, file: file, gain: gain, range: start..<end))
        }
        return spans
    }

    /// The lines laid out (`pieces[i]` is `timeline[i]`'s audio) with the beds under them (their files found
    /// from `folder`; none without one), and the beds alone (nil when there are none); as long as the longer.
    /// Where two sounds add up (lines overlapping, a bed under a line), peaks are rounded off under full
    /// scale (`Loudness.softLimit`) instead of clipping; a line alone is left exactly as it is.
    public func mix(_ timeline: [TimelineEntry], _ pieces: [[Float]], bedsFrom folder: URL?) throws -> (audio: [Float], beds: [Float]?) {
        let mix = try DialogueMix(self, timeline, pieces, bedsFrom: folder)
        return (mix.samples(0..<mix.length), mix.beds)
    }

    /// The beds as one track of at least `length` samples: each file (WAV or MP3, found from `folder`, the
    /// project's) looped over its span at its gain, fading in and out. A file that cannot be read is an
    /// error naming its note.
    public func bedTrack(_ spans: [BedSpan], in folder: URL, length: Int) throws -> [Float] {
        var track = [Float](repeating: 0, count: max(length, spans.map(\.range.upperBound).max() ?? 0))
        var sounds: [String: [Float]] = [:]
        for span in spans {
            let url = span.file.hasPrefix("/") ? URL(fileURLWithPath: span.file) : folder.appendingPathComponent(span.file)
            var sound = sounds[url.path]
            if sound == nil {
                do {
                    let audio = try AudioFile.read(url)
                    sound = try Resampler.soxr(audio.samples, from: audio.sampleRate, to: AudioFormat.sampleRate)
                } catch {
                    throw StudioError("line \(span.note + 1), # bed: \(error)")
                }
                guard sound?.isEmpty == false else { throw StudioError("line \(span.note + 1), # bed: \(url.path): no audio in it") }
                sounds[url.path] = sound
            }
            let loop = sound!
            let gain = Float(pow(10, span.gain / 20))
            let fade = Float(Self.bedFade)
            for i in span.range {
                let envelope = min(1, Float(i - span.range.lowerBound) / fade, Float(span.range.upperBound - i) / fade)
                track[i] += loop[(i - span.range.lowerBound) % loop.count] * gain * envelope
            }
        }
        return track
    }
}

/// The dialogue as exports give it, worked out a stretch at a time: the lines laid out, the beds under them,
/// the peaks rounded off where two sounds add up. An export writes a book of many hours a stretch at a time
/// instead of holding it whole, several times over, in memory.
public struct DialogueMix {
    public let timeline: [TimelineEntry]
    /// Each timeline entry's audio.
    public let pieces: [[Float]]
    /// The beds as one track (nil when there are none).
    public let beds: [Float]?
    /// Where sounds meet (lines overlapping, beds under lines): the soft limit applies there alone.
    let meetings: [Range<Int>]
    /// Samples, to the end of the last line or bed.
    public let length: Int

    public init(_ planner: DialoguePlanner, _ timeline: [TimelineEntry], _ pieces: [[Float]], bedsFrom folder: URL?) throws {
        let spans = folder == nil ? [] : planner.bedSpans(timeline)
        self.timeline = timeline
        self.pieces = pieces
        beds = try folder.flatMap { spans.isEmpty ? nil : try planner.bedTrack(spans, in: $0, length: Timeline.length(timeline)) }
        meetings = Timeline.overlaps(timeline) + spans.map(\.range)
        length = max(Timeline.length(timeline), beds?.count ?? 0)
    }

    /// The dialogue's samples in `range`.
    public func samples(_ range: Range<Int>) -> [Float] {
        var audio = Timeline.mix(timeline, pieces, range: range)
        if let beds {
            for at in range.clamped(to: beds.indices) { audio[at - range.lowerBound] += beds[at] }
        }
        for meeting in meetings {
            let here = meeting.clamped(to: range)
            Loudness.softLimit(&audio, in: (here.lowerBound - range.lowerBound)..<(here.upperBound - range.lowerBound))
        }
        return audio
    }

    /// Only the lines `include` chooses (by timeline index), in `range`: a stem, as long as the dialogue.
    public func stem(_ range: Range<Int>, of include: (Int) -> Bool) -> [Float] {
        Timeline.mix(timeline, pieces.indices.map { include($0) ? pieces[$0] : nil }, range: range)
    }
}
