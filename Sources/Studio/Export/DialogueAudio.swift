import Foundation

/// The audio "play from here" plays: the takes of the lines from `start` on, laid out exactly as the export
/// lays them out (the gap, pauses and overlaps; but for a pause before the first), each line marked with its
/// editor id.
public enum DialogueAudio {
    /// How far "play from here" goes: half an hour of takes, about the most anyone listens through at once,
    /// so that a whole audiobook is not read, levelled and held in memory before the first word (ten hours
    /// would be seconds of waiting and gigabytes). Playing on from the last line heard goes further.
    public static let horizon = 30 * 60 * AudioFormat.sampleRate

    /// Lines without a take are skipped; lines are taken until they make `horizon` samples. Returns nil when no
    /// line from `start` on has one. Beds are laid under the lines with their files found from `bedFolder` (the
    /// project's); without one, or when a file cannot be read (the export says why), the lines play alone.
    public static func stream(_ planner: DialoguePlanner, from start: Int, lineIDs: [Int], bedFolder: URL? = nil,
                              horizon: Int = DialogueAudio.horizon) -> AudioStream? {
        var pieces: [(line: Int, samples: [Float])] = []
        var taken = 0
        for i in start..<planner.lineCount where !planner.saysNothing(line: i) && taken < horizon {
            guard let take = planner.takes(line: i).current,
                  let samples = try? planner.exportedSamples(line: i, take: take) else { continue }
            pieces.append((i, samples))
            taken += samples.count
        }
        guard !pieces.isEmpty else { return nil }
        let timeline = planner.layout(pieces.map { ($0.line, $0.samples.count, nil, "") }, leadIn: false)
        let samples = pieces.map(\.samples)
        guard let mixed = (try? planner.mix(timeline, samples, bedsFrom: bedFolder)) ?? (try? planner.mix(timeline, samples, bedsFrom: nil))
        else { return nil }
        let audio = mixed.audio
        // Lines start in order (an overlapping line never before the one it interrupts), so each is marked
        // as the audio up to its start is appended.
        let stream = AudioStream()
        var at = 0
        for entry in timeline {
            stream.append(Array(audio[at..<entry.start]))
            stream.markLine(lineIDs[entry.line])
            at = entry.start
        }
        stream.append(Array(audio[at...]))
        stream.finish()
        return stream
    }
}
