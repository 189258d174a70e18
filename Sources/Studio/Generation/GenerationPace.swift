import Foundation
import Prompt
import Transformer

/// How fast an engine made lines: their frames and the seconds they took, whole (prompt read and all) and from each
/// line's first frame on. A line's time is its prompt's reading, about the same for every line, then its steps, in
/// proportion to its audio: estimates add the two, so that short lines on a slow machine are not counted as quick.
public struct GenerationPace: Codable, Equatable, Sendable {
    public var frames = 0
    public var seconds = 0.0
    /// Frames after each line's first, and the seconds from its first frame to its end.
    public var stepFrames = 0
    public var stepSeconds = 0.0
    public var lines = 0

    public init() {}

    /// A line made: `frames` in `seconds` from its start, its first frame `prompt` seconds after the start (nil when
    /// none came: its time was all prompt).
    public mutating func add(frames: Int, seconds: Double, prompt: Double?) {
        self.frames += frames
        self.seconds += seconds
        lines += 1
        if let prompt, frames > 1 {
            stepFrames += frames - 1
            stepSeconds += max(0, seconds - prompt)
        }
    }

    public var isEmpty: Bool { seconds <= 0 }

    /// Frames a second over whole lines, prompts included.
    public var framesPerSecond: Double? { seconds > 0 && frames > 0 ? Double(frames) / seconds : nil }

    /// The model's own pace once a prompt is read, and the seconds a prompt takes to read, on average.
    public var stepPace: (framesPerSecond: Double, promptSeconds: Double)? {
        guard stepSeconds > 0 else { return nil }
        return (Double(stepFrames) / stepSeconds, max(0, seconds - stepSeconds) / Double(lines))
    }

    /// Seconds to make `lines` lines of `audio` seconds in all: a prompt each, then their frames at the model's
    /// pace (at the pace of whole lines before any first frame was timed).
    public func generatingTime(lines: Int, audio: Double) -> Double? {
        let frames = audio * Double(AudioFormat.frameRate)
        if let step = stepPace { return Double(lines) * step.promptSeconds + frames / step.framesPerSecond }
        return framesPerSecond.map { frames / $0 }
    }
}

/// The pace each engine (model folder, precision, threads) made lines at in its last session, so that the studio
/// estimates the time left from its first line on. One small JSON file beside the weights cache
/// (`$HIGGS_CACHE/pace.json`, else `~/.cache/higgs-studio/pace.json`); a file that cannot be read or written is a
/// pace not known, never an error.
public struct PaceRecord: Sendable {
    public let file: URL?

    public init(file: URL?) { self.file = file }

    public static var standard: PaceRecord {
        PaceRecord(file: QuantizedWeightCache.standard.folder?.deletingLastPathComponent().appendingPathComponent("pace.json"))
    }

    static func key(_ engine: EngineDescription) -> String { "\(engine.modelPath) \(engine.precision) \(engine.threads)" }

    private func all() -> [String: GenerationPace] {
        guard let file, let data = try? Data(contentsOf: file) else { return [:] }
        return (try? JSONDecoder().decode([String: GenerationPace].self, from: data)) ?? [:]
    }

    /// The pace the engine made lines at when it was last used.
    public func pace(of engine: EngineDescription) -> GenerationPace? {
        all()[Self.key(engine)].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Keeps a session's pace for the engine, in place of the one before.
    public func record(_ pace: GenerationPace, of engine: EngineDescription) {
        guard let file, !pace.isEmpty else { return }
        var paces = all()
        paces[Self.key(engine)] = pace
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(paces) else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? AtomicFile.write(data, to: file, durable: false)
    }
}
