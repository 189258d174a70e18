import Foundation

/// The audio "play from here" plays: the takes of the lines from `start` on, with the project's gap
/// between them and the pauses notes ask for, exactly as the export lays them out (but for a pause before
/// the first), each line marked with its editor id.
public enum DialogueAudio {
    /// Lines without a take are skipped. Returns nil when no line from `start` on has one.
    public static func stream(_ planner: DialoguePlanner, from start: Int, lineIDs: [Int]) -> AudioStream? {
        let stream = AudioStream()
        var any = false
        for i in start..<planner.lineCount where !planner.saysNothing(line: i) {
            guard let take = planner.takes(line: i).current, let samples = try? planner.levelledSamples(take) else { continue }
            // What plays from here starts at once: a pause before the first line is not waited for.
            if any { stream.append([Float](repeating: 0, count: planner.gapSamples + planner.pause(before: i))) }
            stream.markLine(lineIDs[i])
            stream.append(samples)
            any = true
        }
        stream.finish()
        return any ? stream : nil
    }
}
