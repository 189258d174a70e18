import Foundation
import AudioIO

/// The audio "play from here" plays: the takes of the lines from `start` on, laid out exactly as the export
/// lays them out (the gap, pauses and overlaps; but for a pause before the first), each line marked with its
/// editor id. Lines without a take are skipped. Beds are laid under the lines with their files found from
/// `bedFolder` (the project's); without one, or when a file cannot be read (the export says why), the lines
/// play alone.
public enum DialogueAudio {
    /// How far the studio's "play from here" reads ahead of its listener (a minute), and how much of what was
    /// heard its stream keeps to skip back into (five minutes): an hour of listening holds six minutes, not the hour.
    public static let readAhead = 60 * AudioFormat.sampleRate, keptBehind = 5 * 60 * AudioFormat.sampleRate

    /// The whole of it at once (`play` with a stretch no script reaches: one mix of every line); nil when no
    /// line from `start` on has a take.
    public static func stream(_ planner: DialoguePlanner, from start: Int, lineIDs: [Int], bedFolder: URL? = nil) -> AudioStream? {
        let stream = AudioStream()
        play(planner, from: start, lineIDs: lineIDs, bedFolder: bedFolder, into: stream, stretch: .max)
        return stream.state == .finished ? stream : nil
    }

    /// The same, appended to `stream` as the takes are read, `stretch` samples or so at a time, so that it plays at
    /// once and a whole audiobook is never read and held before it is heard. Ends the stream (failed when no
    /// line has a take, or when `isCancelled` says nobody listens any more). The samples are those `stream`
    /// gives: what is appended before the last line read is only what no later line can change (each line
    /// starts after the one before it starts; a bed fades in at most a second before its first line).
    ///
    /// `ahead`: how far the reading may run ahead of the furthest a player has read (the studio's minute, so
    /// that an hour of listening holds that hour, not the book); unlimited by default.
    public static func play(_ planner: DialoguePlanner, from start: Int, lineIDs: [Int], bedFolder: URL? = nil,
                            into stream: AudioStream, stretch: Int = 10 * AudioFormat.sampleRate, ahead: Int = .max,
                            isCancelled: () -> Bool = { false }) {
        var lines: [(line: Int, length: Int, speaker: String?, text: String)] = []
        var pieces: [[Float]] = []
        var sounds = bedFolder.map(BedSounds.init)
        var played = Played(stream: stream, lineIDs: lineIDs)
        var read = 0
        func mix() -> DialogueMix? {
            let timeline = planner.layout(lines, leadIn: false)
            if let made = try? DialogueMix(planner, timeline, pieces, bedsFrom: sounds) { return made }
            sounds = nil  // a bed that cannot be read: the lines alone, from here on
            return try? DialogueMix(planner, timeline, pieces, bedsFrom: nil)
        }
        for i in start..<planner.lineCount where !planner.saysNothing(line: i) {
            while stream.unread > ahead && !isCancelled() { usleep(20_000) }
            if isCancelled() { return stream.fail("cancelled") }
            guard let take = planner.takes(line: i).current,
                  let samples = try? planner.exportedSamples(line: i, take: take) else { continue }
            lines.append((i, samples.count, nil, ""))
            pieces.append(samples)
            read += samples.count
            guard read >= stretch, let mix = mix(), let last = mix.timeline.last else { continue }
            read = 0
            played.append(mix, upTo: last.start - DialoguePlanner.bedFade)
            // Lines the listener's stretch has passed are not needed again.
            for k in mix.timeline.indices where mix.timeline[k].end <= played.appended { pieces[k] = [] }
        }
        guard !lines.isEmpty, let mix = mix() else { return stream.fail("no line from here on has a take") }
        played.append(mix, upTo: mix.length)
        stream.finish()
    }

    /// What has been appended to a stream so far, and which lines it has marked.
    private struct Played {
        let stream: AudioStream
        let lineIDs: [Int]
        var appended = 0
        var marked = 0

        /// Appends the mix up to `end`, marking each line as the audio reaches its start.
        mutating func append(_ mix: DialogueMix, upTo end: Int) {
            guard end > appended else { return }
            while marked < mix.timeline.count, mix.timeline[marked].start < end {
                let entry = mix.timeline[marked]
                stream.append(mix.samples(appended..<entry.start))
                stream.markLine(lineIDs[entry.line])
                appended = entry.start
                marked += 1
            }
            stream.append(mix.samples(appended..<end))
            appended = end
        }
    }
}
