import AudioIO
import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// `# at:` notes: a line at its time (a dub's cue), and the lines that run past theirs.
@Suite struct CueTests {
    @Test func timesReadAsSubtitlesAndPeopleWriteThem() throws {
        func start(_ text: String) -> Double? { Cue(text)?.start }
        let minutes = try #require(start("1:23.4"))
        #expect(abs(minutes - 83.4) < 1e-9 && start("90") == 90 && start("1:02:03.5") == 3_723.5)
        let span = try #require(Cue("00:01:23,400 --> 00:01:25,100"))
        let end = try #require(span.end)
        #expect(abs(span.start - 83.4) < 1e-9 && abs(end - 85.1) < 1e-9)
        #expect(span.written == "00:01:23.400 --> 00:01:25.100" && Cue("2.5")?.written == "00:00:02.500")
        let length = try #require(span.seconds)
        #expect(abs(length - 1.7) < 1e-9)
        for bad in ["", "soon", "1:60", "1:75:00", "1:2:3:4", "-1", "2 --> 1", "1 --> later", "1 --> 2 --> 3", "１:00"] {
            #expect(Cue(bad) == nil, "\(bad)")
        }
        #expect(ScriptLine("# at: 1.5").cue == Cue(start: 1.5) && ScriptLine("#At: 0:02 --> 0:03").cue == Cue(start: 2, end: 3))
        #expect(ScriptLine("# at: soon").cue == nil && ScriptLine("[Ann] at: 1.5").cue == nil)
    }

    @Test func linesStartAtTheirCuesAndOverrunsAreNamed() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("c.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["# at: 0.5", "[Mara] One.", "# at: 0.54 --> 0.58", "[Theo] Two, \"too\".", "[Mara] Three."])
        project.settings.gap = 0.001
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        #expect(planner.placement(before: 3) == Placement(at: 12_960) && planner.cue(before: 3) == Cue(start: 0.54, end: 0.58))
        #expect(planner.cue(before: 4) == nil)
        // Takes of 0.1 s that sound throughout: trimming keeps them whole.
        let levels: [Int: Float] = [1: 0.25, 3: 0.5, 4: 0.125]
        for line in [1, 3, 4] {
            try planner.keepTake([Float](repeating: levels[line]!, count: 2_400), line: line)
        }
        let out = folder.appendingPathComponent("c.export")
        let report = try DialogueExport.export(planner, name: "c", to: out)
        // One at 0.5 s; Two's cue 0.54 s falls 0.06 s before One ends, so Two waits for it, a gap after; Three a gap after Two.
        let expected = [Float](repeating: 0, count: 12_000) + [Float](repeating: 0.25, count: 2_400) + [Float](repeating: 0, count: 24)
            + [Float](repeating: 0.5, count: 2_400) + [Float](repeating: 0, count: 24) + [Float](repeating: 0.125, count: 2_400)
        let whole = try WAVFile.read(out.appendingPathComponent("c.wav")).samples
        #expect(whole.count == expected.count && zip(whole, expected).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(planner.exportLength == expected.count)
        // One runs 0.06 s into Two's cue, and Two 0.06 s past its end; Three has no cue.
        #expect(report.overruns.map(\.line) == [1, 3] && report.overruns.allSatisfy { abs($0.seconds - 0.06) < 1e-9 })
        #expect(report.overruns.map(\.intoCueOf) == [3, nil] && report.timing.delays == [CueDelay(line: 3, seconds: 0.061, after: 1)])
        #expect(report.timingVerdict == "2 lines run past their cues (2, 4); line 4 starts 0.1 s after its cue, when line 2 ends")
        // What the studio shows, and stops at with `)`: One runs into Two's cue, Two is too long for its own.
        let shown = planner.timingProblems(planner.presentTimeline)
        #expect(shown == report.timing && shown.overrun(line: 3)?.intoCueOf == nil && shown.overrun(line: 1)?.intoCueOf == 3)
        #expect(shown.overrun(line: 4) == nil && shown.delay(line: 3)?.after == 1)
        #expect(try String(contentsOf: out.appendingPathComponent("c.srt"), encoding: .utf8)
            .contains("2\n00:00:00,601 --> 00:00:00,701\nTheo: Two, \"too\"."))
        // The table of lines, a dub's cue sheet: where each line landed, the words quoted where they need it.
        let table = try String(contentsOf: out.appendingPathComponent("lines.csv"), encoding: .utf8).components(separatedBy: "\r\n")
        #expect(table[2] == "lines/004.wav,Theo,\"Two, \"\"too\"\".\",0.601,0.701,0.540,0.580,4" && table[3].hasSuffix(",0.702,0.802,,,5"))

        // Played from Two, it starts at once and Three follows as in the export.
        let stream = try #require(DialogueAudio.stream(planner, from: 3, lineIDs: Array(0..<5)))
        #expect(stream.snapshot.count == 2_400 + 24 + 2_400 && stream.line(at: 2_424) == 4)

        // With room for it, nothing is named.
        var roomy = project
        roomy.script = ["# at: 0.5", "[Mara] One.", "# at: 0.62 --> 0.75", "[Theo] Two.", "[Mara] Three."]
        let fits = DialoguePlanner(project: roomy, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                   takes: store, fingerprints: ClipFingerprints())
        let layout = fits.layout([(1, 2_400, nil, ""), (3, 2_400, nil, ""), (4, 2_400, nil, "")])
        #expect(layout.map(\.start) == [12_000, 14_880, 17_304] && fits.timingProblems(layout).isEmpty)
    }

    /// A subtitle whose time did not read leaves its line without a cue, following the line before; the cued
    /// line after it, whose cue falls before that line ends (or even starts), waits for it to end instead of
    /// being added on top of it, and both are named: in the export, and in the studio (`»`, `)`).
    @Test func aCuedLineWaitsForAnUncuedLineRunningIntoItsCue() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("d.takes"))
        var project = Project(cast: [CastMember(name: "Tom", voice: .automatic)],
                              script: ["# at: 0.1 --> 0.15", "[Tom] No.", "[Tom] Broken cue time.", "# at: 0.25 --> 0.5", "[Tom] Later, then."])
        project.settings.gap = 0.01
        func planner(_ script: [String]) -> DialoguePlanner {
            project.script = script
            return DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                   takes: store, fingerprints: ClipFingerprints())
        }
        let dub = planner(project.script)
        let lengths = [1: 4_800, 2: 4_800, 4: 1_200]
        for line in [1, 2, 4] {
            try dub.keepTake([Float](repeating: 0.25, count: lengths[line]!), line: line)
        }
        let out = folder.appendingPathComponent("d.export")
        let report = try DialogueExport.export(dub, name: "d", to: out)
        // No at 0.1 s to 0.3; Broken a gap after it, to 0.51; Later's cue (0.25) falls before Broken even starts:
        // it waits for Broken to end, a gap after, and nothing sounds on top of anything.
        let timeline = dub.presentTimeline
        #expect(timeline.map(\.start) == [2_400, 7_440, 12_480] && Timeline.overlaps(timeline).isEmpty)
        let whole = try WAVFile.read(out.appendingPathComponent("d.wav")).samples
        #expect(whole.count == 13_680 && whole.allSatisfy { abs($0) < 0.26 })
        let table = try String(contentsOf: out.appendingPathComponent("lines.csv"), encoding: .utf8).components(separatedBy: "\r\n")
        #expect(table[2] == "lines/003.wav,Tom,Broken cue time.,0.310,0.510,,,3")
        #expect(table[3] == "lines/005.wav,Tom,\"Later, then.\",0.520,0.570,0.250,0.500,5")
        // Named: No past its cue, Broken into Later's, and Later as late, waiting for Broken.
        #expect(report.overruns.map(\.line) == [1, 2] && report.overruns.map(\.intoCueOf) == [nil, 4])
        #expect(report.timing.delays.map(\.line) == [4] && report.timing.delays.map(\.after) == [2])
        #expect(report.timingVerdict == "2 lines run past their cues (2, 3); line 5 starts 0.3 s after its cue, when line 3 ends")
        // The studio asks the same of the takes it has: Broken, with no cue of its own, is marked and stopped at.
        let shown = dub.timingProblems(timeline)
        #expect(shown == report.timing && shown.overrun(line: 2)?.said == "line 3 runs 0.3 s into line 5's cue")

        // A cue inside Broken, after it starts: Later waits all the same, rather than being added on top of it.
        let inside = planner(["# at: 0.1 --> 0.15", "[Tom] No.", "[Tom] Broken cue time.", "# at: 0.4 --> 0.5", "[Tom] Later, then."])
        #expect(inside.presentTimeline.map(\.start) == [2_400, 7_440, 12_480])
        #expect(inside.timingProblems(inside.presentTimeline).delay(line: 4)?.after == 2)
        // A cue a few milliseconds inside Broken's end (under 50 ms) is kept, and nothing is named for it.
        let close = planner(["# at: 0.1 --> 0.3", "[Tom] No.", "[Tom] Broken cue time.", "# at: 0.48 --> 0.6", "[Tom] Later, then."])
        #expect(close.presentTimeline.map(\.start) == [2_400, 7_440, 11_520] && close.timingProblems(close.presentTimeline).isEmpty)
    }

    /// `# tempo:` plays the next line faster or slower, at the length the tempo says, everywhere it is laid out.
    @Test func tempoNotesPlayTheNextLineFasterOrSlower() throws {
        #expect(ScriptLine("# tempo: 1.2").tempo == 1.2 && abs((ScriptLine("# Tempo: 90%").tempo ?? 0) - 0.9) < 1e-12)
        #expect(ScriptLine("# tempo: 2").tempo == nil && ScriptLine("# tempo: 0.5").tempo == nil && ScriptLine("# tempo: fast").tempo == nil)
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("t.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["# tempo: 1.2", "[Mara] One.", "[Theo] Two."])
        project.settings.gap = 0.001
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                      takes: store, fingerprints: ClipFingerprints())
        let tone = (0..<2_400).map { Float(0.3 * sin(Double($0) * 0.05)) }
        for line in [1, 2] {
            try planner.keepTake(tone, line: line)
        }
        let out = folder.appendingPathComponent("t.export")
        _ = try DialogueExport.export(planner, name: "t", to: out)
        #expect(try WAVFile.read(out.appendingPathComponent("lines/002.wav")).samples.count == 2_000)
        #expect(try WAVFile.read(out.appendingPathComponent("lines/003.wav")).samples.count == 2_400)
        #expect(try WAVFile.read(out.appendingPathComponent("t.wav")).samples.count == 4_424 && planner.exportLength == 4_424)
    }

    /// `# gain:` makes the next line quieter or louder after levelling, in the line's file and the dialogue;
    /// the lines after it are left alone, and a gain up rounds off what would pass full scale.
    @Test func gainNotesMakeTheNextLineQuieterOrLouder() throws {
        #expect(ScriptLine("# gain: -6 dB").gainDecibels == -6 && ScriptLine("# Gain: -6dB").gainDecibels == -6)
        #expect(ScriptLine("# gain: +3").gainDecibels == 3 && ScriptLine("# gain: 12 db").gainDecibels == 12)
        #expect(ScriptLine("# gain: \u{2212}6 dB").gainDecibels == -6)  // the typographic minus
        #expect(ScriptLine("# gain: -50").gainDecibels == nil && ScriptLine("# gain: loud").gainDecibels == nil)
        #expect(ScriptLine("[Mara] # gain: -6").gainDecibels == nil)
        // A note that means to act and cannot says why; one that works, or any other line, says nothing.
        #expect(ScriptLine("# gain: loud").noteProblem == "a gain is -40 to +12 dB (# gain: -6 dB)")
        #expect(ScriptLine("# tempo: 150%").noteProblem?.hasPrefix("a tempo is 0.75 to 1.33") == true)
        #expect(ScriptLine("# pause: 2 minutes").noteProblem != nil && ScriptLine("# at: soon").noteProblem != nil)
        #expect(ScriptLine("# overlap: 20").noteProblem != nil && ScriptLine("# file:").noteProblem != nil)
        for fine in ["# gain: -6", "# tempo: 90%", "# pause: 2 s", "# at: 1:02", "# note to self: ok", "[Mara] # tempo: 9", ""] {
            #expect(ScriptLine(fine).noteProblem == nil, "\(fine)")
        }
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("g.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["# gain: -6 dB", "[Mara] One.", "[Theo] Two.", "# gain: 12", "[Mara] Three."])
        project.settings.gap = 0.001
        project.settings.trim = false
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                      takes: store, fingerprints: ClipFingerprints())
        let tone = (0..<2_400).map { Float(0.5 * sin(Double($0) * 0.05)) }
        for line in [1, 2, 4] {
            try planner.keepTake(tone, line: line)
        }
        let out = folder.appendingPathComponent("g.export")
        _ = try DialogueExport.export(planner, name: "g", to: out)
        func peak(_ file: String) throws -> Float { try WAVFile.read(out.appendingPathComponent(file)).samples.map(abs).max() ?? 0 }
        #expect(abs(try peak("lines/002.wav") - 0.5 * 0.501) < 0.002)
        #expect(abs(try peak("lines/003.wav") - 0.5) < 0.002)
        // +12 dB would take 0.5 to 2: rounded off under full scale instead of clipping.
        let loud = try peak("lines/005.wav")
        #expect(loud > 0.9 && loud < 1)
        let dialogue = try WAVFile.read(out.appendingPathComponent("g.wav")).samples
        #expect(abs((dialogue.prefix(2_400).map(abs).max() ?? 0) - 0.5 * 0.501) < 0.002)
    }

    /// `fit-cues`: a take a little longer than its cue is sped up to fit it exactly; one far longer is left
    /// at its pace and named.
    @Test func takesALittleLongThanTheirCuesAreFitted() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("f.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["# at: 0 --> 0.09", "[Mara] One.", "# at: 0.2 --> 0.24", "[Theo] Two."])
        func planner(_ fit: Int?) -> DialoguePlanner {
            project.settings.fitCues = fit
            return DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                   takes: store, fingerprints: ClipFingerprints())
        }
        let tone = (0..<2_400).map { Float(0.3 * sin(Double($0) * 0.05)) }
        for line in [1, 3] {
            try planner(15).keepTake(tone, line: line)
        }
        // One is 11% longer than its cue: fitted. Two would need to be twice as fast: left, and named.
        let fitted = planner(15)
        #expect(fitted.fittedLength(line: 1, length: 2_400) == 2_160 && fitted.fittedLength(line: 3, length: 2_400) == nil)
        let out = folder.appendingPathComponent("f.export")
        let report = try DialogueExport.export(fitted, name: "f", to: out)
        #expect(try WAVFile.read(out.appendingPathComponent("lines/002.wav")).samples.count == 2_160)
        #expect(try WAVFile.read(out.appendingPathComponent("f.wav")).samples.count == 7_200 && fitted.exportLength == 7_200)
        #expect(report.overruns.map(\.line) == [3])
        let played = try fitted.exportedSamples(line: 1, take: try #require(fitted.takes(line: 1).current))
        #expect(played.count == 2_160)
        // Off: the take at its pace.
        let unfitted = planner(nil)
        #expect(unfitted.fittedLength(line: 1, length: 2_400) == nil)
        _ = try DialogueExport.export(unfitted, name: "f", to: out)
        #expect(try WAVFile.read(out.appendingPathComponent("lines/002.wav")).samples.count == 2_400)
    }
}
