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
        let mix = try DialogueMix(self, timeline, pieces, bedsFrom: folder.map(BedSounds.init))
        return (mix.samples(0..<mix.length), mix.hasBeds ? mix.beds(0..<mix.length) : nil)
    }

    /// The beds' samples in `range` (their sounds read into `sounds` already): each file looped over its span
    /// at its gain, fading in and out.
    func bedSamples(_ spans: [BedSpan], _ range: Range<Int>, sounds: BedSounds) -> [Float] {
        var out = [Float](repeating: 0, count: range.count)
        let fade = Float(Self.bedFade)
        for span in spans {
            guard let loop = sounds.loaded(span) else { continue }
            let gain = Float(pow(10, span.gain / 20))
            for i in span.range.clamped(to: range) {
                let envelope = min(1, Float(i - span.range.lowerBound) / fade, Float(span.range.upperBound - i) / fade)
                out[i - range.lowerBound] += loop[(i - span.range.lowerBound) % loop.count] * gain * envelope
            }
        }
        return out
    }
}

/// The sounds of the beds, found from the project's folder and read once (a stretch at a time would read a
/// long bed file again and again).
public final class BedSounds: @unchecked Sendable {
    public let folder: URL
    private var sounds: [String: [Float]] = [:]

    public init(folder: URL) { self.folder = folder }

    /// Reads the sounds of `spans` not read yet; a file that cannot be read is an error naming its note.
    func load(_ spans: [BedSpan]) throws {
        for span in spans where loaded(span) == nil {
            let url = file(span)
            do {
                let audio = try AudioFile.read(url)
                let sound = try Resampler.soxr(audio.samples, from: audio.sampleRate, to: AudioFormat.sampleRate)
                guard !sound.isEmpty else { throw StudioError("\(url.path): no audio in it") }
                sounds[url.path] = sound
            } catch {
                throw StudioError("line \(span.note + 1), # bed: \(error)")
            }
        }
    }

    func loaded(_ span: BedSpan) -> [Float]? { sounds[file(span).path] }

    private func file(_ span: BedSpan) -> URL {
        BedNote.start(file: span.file, gain: 0).file(besideProjectIn: folder)!
    }
}
