import AudioIO
import Foundation

/// The audio "play from here" plays: the takes of the lines from `start` on, with the project's gap
/// between them and the pauses notes ask for, exactly as the export lays them out (but for a pause before
/// the first), each line marked with its editor id.
public enum DialogueAudio {
    /// Lines without a take are skipped. Returns nil when no line from `start` on has one.
    public static func stream(_ planner: DialoguePlanner, from start: Int, lineIDs: [Int]) -> AudioStream? {
        let stream = AudioStream()
        let gap = Int((planner.project.settings.gap * Double(AudioFormat.sampleRate)).rounded())
        var any = false
        for i in start..<planner.lineCount where !planner.saysNothing(line: i) {
            guard let take = planner.takes(line: i).current, let samples = try? planner.levelledSamples(take) else { continue }
            // What plays from here starts at once: a pause before the first line is not waited for.
            if any { stream.append([Float](repeating: 0, count: gap + planner.pause(before: i))) }
            stream.markLine(lineIDs[i])
            stream.append(samples)
            any = true
        }
        stream.finish()
        return any ? stream : nil
    }
}

extension DialoguePlanner {
    /// How long the exported dialogue is with the takes there are now, in samples (from the takes' records:
    /// no audio is read).
    public var exportLength: Int {
        let gap = Int((project.settings.gap * Double(AudioFormat.sampleRate)).rounded())
        var length = 0
        var any = false
        for i in project.script.indices where !saysNothing(line: i) {
            guard let take = takes(line: i).current, takes.hasTake(take.key) else { continue }
            length += (any ? gap : 0) + pause(before: i) + take.samples
            any = true
        }
        return length
    }

    /// The silence `# pause:` notes ask for before line `i` (those between it and the line before that
    /// says something), in samples.
    public func pause(before i: Int) -> Int {
        var seconds = 0.0
        var j = i - 1
        while j >= 0 && saysNothing(line: j) {
            seconds += ScriptLine(project.script[j]).pauseSeconds ?? 0
            j -= 1
        }
        return Int((seconds * Double(AudioFormat.sampleRate)).rounded())
    }

    /// A take's samples as exports and "play from here" give them: brought to the project's `loudness`
    /// when it has one (each line alone, so that every voice sits at the same level), else as generated.
    public func levelledSamples(_ take: TakeInfo) throws -> [Float] {
        let samples = try takes.samples(take.key)
        guard let target = project.settings.loudness else { return samples }
        let gain = Loudness.gain(bringing: samples, sampleRate: AudioFormat.sampleRate, to: target)
        return samples.map { $0 * gain }
    }
}
