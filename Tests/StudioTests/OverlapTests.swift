import AudioIO
import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// `# overlap:` notes that cannot do what they say: one longer than the line before (the line starts with it, and
/// is named), one across a chapter (left out: a chapter is a file of its own), one with no line to overlap.
@Suite struct OverlapTests {
    static func planner(_ script: [String], store: TakeStore) -> DialoguePlanner {
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: script)
        project.settings.gap = 0.001
        return DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                               scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
    }

    @Test func anOverlapLongerThanTheLineBeforeIsNamed() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("o.takes"))
        // Line 3 asks to start 0.5 s before a 0.1 s line ends; line 5's pause takes back most of its overlap.
        let planner = Self.planner(["[Mara] One.", "# overlap: 0.5", "[Theo] Two!", "# overlap: 0.5", "# pause: 0.45", "[Mara] Three.",
                                    "# overlap: 0.05", "[Theo] Four."], store: store)
        for line in [0, 2, 5, 7] {
            // 0.1 s that sounds throughout: trimming keeps it whole.
            try planner.keepTake([Float](repeating: 0.25, count: 2_400), line: line)
        }
        let report = try DialogueExport.export(planner, name: "o", to: folder.appendingPathComponent("o.export"))
        let timeline = planner.presentTimeline
        // Two starts with One; Three 0.05 s before Two ends, Four 0.05 s before Three ends.
        #expect(timeline.map(\.start) == [0, 0, 1_200, 2_400])
        #expect(report.timing.longOverlaps == [LongOverlap(line: 2, seconds: 0.5, before: 0, beforeSeconds: 0.1)])
        #expect(report.timingVerdict == "line 3's overlap (0.5 s) is longer than line 1 (0.1 s): they start together")
        // The studio shows it at the line, from the timeline it keeps.
        let shown = planner.timingProblems(timeline)
        #expect(shown == report.timing && shown.longOverlap(line: 2) != nil && shown.longOverlap(line: 5) == nil)
        #expect(planner.overlapNoteProblem(line: 1) == nil && planner.overlapNoteProblem(line: 3) == nil)
    }

    @Test func anOverlapAcrossAChapterIsLeftOutAndSaid() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("c.takes"))
        // Either side of the chapter note.
        for script in [["[Mara] One.", "# chapter: Two", "# overlap: 0.05", "[Theo] Two."],
                       ["[Mara] One.", "# overlap: 0.05", "# chapter: Two", "[Theo] Two."]] {
            let planner = Self.planner(script, store: store)
            let note = script.firstIndex(of: "# overlap: 0.05")!
            #expect(planner.placement(before: 3) == Placement())
            #expect(planner.overlapNoteProblem(line: note) == "a chapter starts here, after the last line before it ends (it is a file of its own)")
            try planner.keepTake([Float](repeating: 0.25, count: 2_400), line: 0)
            try planner.keepTake([Float](repeating: 0.5, count: 2_400), line: 3)
            let out = folder.appendingPathComponent("c\(note).export")
            let report = try DialogueExport.export(planner, name: "c", to: out)
            #expect(report.timing.isEmpty && planner.presentTimeline.map(\.start) == [0, 2_424])
            // Each chapter's file holds its own line, none of the other's.
            let opening = try WAVFile.read(out.appendingPathComponent("chapters/00 Opening.wav")).samples
            let two = try WAVFile.read(out.appendingPathComponent("chapters/01 Two.wav")).samples
            #expect(opening.count == 2_400 && opening.allSatisfy { abs($0 - 0.25) < 1e-4 })
            #expect(two.count == 2_400 && two.allSatisfy { abs($0 - 0.5) < 1e-4 })
        }
        // With nothing to overlap, or nothing after it.
        #expect(Self.planner(["# overlap: 1", "[Mara] One."], store: store).overlapNoteProblem(line: 0) == "no line before it to overlap")
        #expect(Self.planner(["[Mara] One.", "# overlap: 1", "# pause: 1"], store: store).overlapNoteProblem(line: 1)
            == "no line after it to start early")
        #expect(Self.planner(["[Mara] One.", "# pause: 1", "[Theo] Two."], store: store).overlapNoteProblem(line: 1) == nil)
    }
}
