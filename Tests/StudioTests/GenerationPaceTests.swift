import Foundation
import Studio
import TestSupport
import Testing

/// The pace estimates take: a prompt a line, then the audio at the model's pace; kept between sessions per engine.
@Suite struct GenerationPaceTests {
    /// The model's pace and a prompt's time come apart once a line's first frame was timed; an estimate adds a prompt
    /// per line to the frames at that pace. Before, whole lines' pace.
    @Test func anEstimateCountsAPromptPerLine() throws {
        var pace = GenerationPace()
        #expect(pace.isEmpty && pace.generatingTime(lines: 1, audio: 1) == nil)
        pace.add(frames: 50, seconds: 5, prompt: nil)
        #expect(pace.stepPace == nil && pace.framesPerSecond == 10)
        #expect(pace.generatingTime(lines: 2, audio: 2) == 5)  // 50 frames at 10 a second
        // 101 frames: the first after a 10 s prompt, 100 more in 4 s (25 a second, real time). The first line, with no
        // first frame timed, was all prompt: 15 s of prompts over two lines.
        pace.add(frames: 101, seconds: 14, prompt: 10)
        let step = try #require(pace.stepPace)
        #expect(step.framesPerSecond == 25 && step.promptSeconds == 7.5)
        // Three lines, 8 s of audio: three prompts, then 200 frames in 8 s.
        #expect(abs(try #require(pace.generatingTime(lines: 3, audio: 8)) - (3 * 7.5 + 8)) < 1e-9)
        // Ten short lines on a slow machine: mostly their prompts, where whole lines' pace (151 frames in 19 s) would
        // say 31 s.
        #expect(abs(try #require(pace.generatingTime(lines: 10, audio: 10)) - (75 + 10)) < 1e-9)
    }

    /// Each engine's last pace is kept in one file; another engine (precision, threads) has none; a file that does not
    /// read is a pace not known, and is replaced; a folder that cannot be written to keeps nothing and says nothing.
    @Test func theLastPaceIsKeptPerEngine() throws {
        let folder = try Fixtures.temporaryFolder("higgs-pace")
        defer { try? FileManager.default.removeItem(at: folder) }
        let record = PaceRecord(file: folder.appendingPathComponent("cache/pace.json"))
        let q4 = EngineDescription(modelPath: "/m", audioTokenizerPath: "/t", precision: "q4", threads: 2)
        let q8 = EngineDescription(modelPath: "/m", audioTokenizerPath: "/t", precision: "q8", threads: 2)
        #expect(record.pace(of: q4) == nil)
        var pace = GenerationPace()
        pace.add(frames: 101, seconds: 14, prompt: 10)
        record.record(pace, of: q4)
        #expect(record.pace(of: q4) == pace && record.pace(of: q8) == nil)
        record.record(GenerationPace(), of: q8)  // nothing made: nothing kept
        #expect(record.pace(of: q8) == nil && record.pace(of: q4) == pace)
        var later = pace
        later.add(frames: 26, seconds: 3, prompt: 2)
        record.record(later, of: q4)
        #expect(record.pace(of: q4) == later)

        try Data("not json".utf8).write(to: try #require(record.file))
        #expect(record.pace(of: q4) == nil)
        record.record(pace, of: q8)
        #expect(record.pace(of: q8) == pace)

        let nowhere = PaceRecord(file: URL(fileURLWithPath: "/proc/higgs-no-such/pace.json"))
        nowhere.record(pace, of: q4)
        #expect(nowhere.pace(of: q4) == nil)
    }
}
