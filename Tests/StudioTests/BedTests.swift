import AudioIO
import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// `# bed:` notes: a sound looped under the lines after them, at its gain, fading in and out.
@Suite struct BedTests {
    @Test func notesNameAFileAndAGain() {
        #expect(ScriptLine("# bed: rain.wav -18 dB").bed == .start(file: "rain.wav", gain: -18))
        #expect(ScriptLine("# bed: Music/the theme.mp3 -6dB").bed == .start(file: "Music/the theme.mp3", gain: -6))
        #expect(ScriptLine("# bed: hum.wav").bed == .start(file: "hum.wav", gain: BedNote.defaultGain))
        #expect(ScriptLine("# bed: rain.wav \u{2212}18 dB").bed == .start(file: "rain.wav", gain: -18))
        #expect(ScriptLine("# bed: 1999.wav").bed == .start(file: "1999.wav", gain: BedNote.defaultGain))
        #expect(ScriptLine("# bed: none").bed == .stop && ScriptLine("# Bed:").bed == .stop && ScriptLine("# note").bed == nil)
    }

    @Test func aBedLiesUnderItsLinesInTheExportAndPlayFromHere() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A bed of a constant 0.5 (1,000 samples, looped), at -6 dB.
        try WAVFile.write([Float](repeating: 0.5, count: 1_000), sampleRate: 24_000, to: folder.appendingPathComponent("tone.wav"),
                          format: .float32)
        let store = TakeStore(folder: folder.appendingPathComponent("b.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["# bed: tone.wav -6 dB", "[Mara] One.", "[Theo] Two.", "# bed: none", "[Mara] Three."])
        project.settings.gap = 0.001
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                      takes: store, fingerprints: ClipFingerprints())
        // Silent takes of 3 s, so that what sounds is the bed.
        for line in [1, 2, 4] {
            try planner.keepTake([Float](repeating: 0, count: 72_000), line: line)
        }
        let out = folder.appendingPathComponent("b.export")
        let report = try DialogueExport.export(planner, name: "b", to: out)
        #expect(report.files.contains("stems/bed.wav"))
        let whole = try WAVFile.read(out.appendingPathComponent("b.wav")).samples
        let bed = try WAVFile.read(out.appendingPathComponent("stems/bed.wav")).samples
        let level = Float(0.5 * pow(10, -6.0 / 20))
        // Three starts at 144,048: the bed fades in from the start, is whole under One and Two, and has
        // faded out by Three.
        #expect(whole.count == 216_048 && bed.count == whole.count)
        #expect(abs(whole[12_000] - level / 2) < 1e-3 && abs(whole[48_000] - level) < 1e-3 && abs(whole[100_000] - level) < 1e-3)
        #expect(abs(whole[144_048 - 12_000] - level / 2) < 1e-3 && whole[144_048...].allSatisfy { $0 == 0 })
        #expect(try WAVFile.read(out.appendingPathComponent("lines/002.wav")).samples.allSatisfy { $0 == 0 })
        // Played from Two: the bed is under it.
        let stream = try #require(DialogueAudio.stream(planner, from: 2, lineIDs: Array(0..<5), bedFolder: folder))
        #expect(abs(stream.snapshot[36_000] - level) < 1e-6)

        // Played as it is read, a little at a time: the same samples and marks as all at once, whatever the
        // stretch (the bed fading in under a short line, the overlap, the cue).
        var busy = project
        busy.script = ["[Theo] Zero.", "[Mara] Short.", "# bed: tone.wav -6 dB", "[Theo] One.", "# overlap: 0.5", "[Mara] Two.",
                       "# at: 9", "[Theo] Three.", "# bed: none", "[Mara] Four."]
        let lively = DialoguePlanner(project: busy, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                     takes: store, fingerprints: ClipFingerprints())
        let spoken = [(0, 30_000), (1, 6_000), (3, 50_000), (5, 40_000), (7, 30_000), (9, 20_000)]
        for (line, length) in spoken {
            let voice = (0..<length).map { Float(0.6 * sin(Double($0) * 0.07 + Double(line))) }
            try lively.keepTake(voice, line: line)
        }
        let ids = (0..<10).map { 100 + $0 }
        let atOnce = try #require(DialogueAudio.stream(lively, from: 0, lineIDs: ids, bedFolder: folder))
        #expect(atOnce.lineMarks.map(\.line) == spoken.map { 100 + $0.0 })
        for stretch in [1_000, 7_777, 60_000, 10 * 24_000] {
            let growing = AudioStream()
            DialogueAudio.play(lively, from: 0, lineIDs: ids, bedFolder: folder, into: growing, stretch: stretch)
            #expect(growing.state == .finished && growing.snapshot == atOnce.snapshot, "stretch \(stretch)")
            #expect(growing.lineMarks.map(\.offset) == atOnce.lineMarks.map(\.offset)
                    && growing.lineMarks.map(\.line) == atOnce.lineMarks.map(\.line))
        }
        // Kept a little ahead of its listener: it waits for the player before reading on.
        let paced = AudioStream()
        let reader = Thread { DialogueAudio.play(lively, from: 0, lineIDs: ids, bedFolder: folder, into: paced, stretch: 1_000, ahead: 20_000) }
        reader.start()
        while paced.count == 0 { usleep(1_000) }
        usleep(200_000)  // nobody reads: it has stopped short of the end
        #expect(paced.state == .open && paced.count < atOnce.count / 2, "\(paced.count) of \(atOnce.count)")
        var heard = [Float](repeating: 0, count: atOnce.count)
        var at = 0
        while paced.state == .open || at < paced.count {
            usleep(1_000)
            at += heard[at...].withUnsafeMutableBufferPointer { paced.read(from: at, into: UnsafeMutableBufferPointer(rebasing: $0[..<min($0.count, 4_000)])) }.count
        }
        #expect(paced.state == .finished && heard == atOnce.snapshot)

        // Asked to stop, it stops; with nothing to play, it says so.
        let stopped = AudioStream()
        DialogueAudio.play(lively, from: 0, lineIDs: ids, bedFolder: folder, into: stopped, stretch: 1_000, isCancelled: { true })
        #expect(stopped.state == .failed("cancelled") && stopped.count == 0)
        let silent = AudioStream()
        DialogueAudio.play(lively, from: 10, lineIDs: ids, into: silent)
        #expect(silent.state != .finished && silent.state != .open && silent.count == 0)

        // A file that is not there: the export says which note.
        var missing = project
        missing.script[0] = "# bed: nope.wav"
        let broken = DialoguePlanner(project: missing, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                     takes: store, fingerprints: ClipFingerprints())
        #expect { try DialogueExport.export(broken, name: "b", to: out) } throws: { "\($0)".contains("line 1, # bed: ") && "\($0)".contains("nope.wav") }
    }
}
