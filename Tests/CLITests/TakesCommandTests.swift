import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// `higgs takes`: the takes a project's lines use are kept, those of lines that are gone are counted and,
/// with --prune, removed.
@Suite struct TakesCommandTests {
    /// A project none of whose lines was made has no takes folder: said so, not counted as a folder of none.
    @Test func aProjectWithoutATakesFolderIsSaidSo() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hi."]),
                             to: folder.appendingPathComponent("new.higgs"))
        for arguments in [["takes", "new.higgs"], ["takes", "new.higgs", "--prune"]] {
            let result = try CLI.run(arguments, in: folder)
            #expect(result.status == 0 && result.stdout == "\(folder.appendingPathComponent("new.takes").path): no takes folder "
                    + "(no line of the project has been made)\n", "\(result.stdout)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["new.higgs"])
    }

    @Test func takesOfLinesThatAreGoneArePruned() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("show.higgs")
        let store = TakeStore(folder: TakeStore.folder(forProject: url))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic)], script: ["[Mara] One.", "[Mara] Two."])
        func addTake(_ line: Int, seed: UInt64) throws -> String {
            var p = project
            p.settings.seed = seed
            let planner = DialoguePlanner(project: p, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                          takes: store, fingerprints: ClipFingerprints())
            let plan = try #require(planner.plan(line: line))
            try store.add(GeneratedTake(codes: try AudioCodes(rows: Array(repeating: [1, 2], count: 8)), samples: [Float](repeating: 0.1, count: 1_000)),
                          key: plan.key!, seed: seed, reseeded: false, line: plan.identity, transcript: plan.transcript, engine: "")
            return plan.key!
        }
        // Line 1 has two takes (both stay: the writer may go back to the first), line 2 one; then line 2 is
        // rewritten and given a take, so its first text's take and record are of a line that is gone.
        let kept = [try addTake(0, seed: 1), try addTake(0, seed: 2)]
        let gone = try addTake(1, seed: 1)
        project.script[1] = "[Mara] Two, rewritten."
        let rewritten = try addTake(1, seed: 1)
        try ProjectFile.save(project, to: url)

        var result = try CLI.run(["takes", "show.higgs"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("3 takes used by the lines"))
        #expect(result.stdout.contains("; 1 take (") && result.stdout.contains("and 1 line record of lines that are gone (--prune removes them)"))
        #expect(store.hasTake(gone))

        // Unsaved changes count too: an autosave that still has the old line keeps its take.
        var unsaved = project
        unsaved.script.append("[Mara] Two.")
        try ProjectFile.autosave(unsaved, for: url)
        result = try CLI.run(["takes", "show.higgs"], in: folder)
        #expect(result.stdout.contains("4 takes used by the lines") && result.stdout.contains("nothing unused"))
        ProjectFile.discardAutosave(for: url)

        // Open in a studio (this process stands for it): --prune refuses, and removes nothing.
        OpenMark.mark(url)
        result = try CLI.run(["takes", "show.higgs", "--prune"], in: folder)
        #expect(result.status == 1 && result.stderr.contains("show.higgs is open in the studio (process \(getpid())): close it first"),
                "\(result.stderr)")
        #expect(store.hasTake(gone))
        // A studio that died leaves its mark, which counts for nothing.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        try Data("\(ended.processIdentifier)\n".utf8).write(to: OpenMark.url(for: url))
        result = try CLI.run(["takes", "show.higgs", "--prune"], in: folder)
        #expect(result.status == 0 && result.stdout.contains("of lines that are gone, removed"))
        #expect(!store.hasTake(gone) && (kept + [rewritten]).allSatisfy(store.hasTake))
        let records = try FileManager.default.contentsOfDirectory(atPath: store.folder.appendingPathComponent("lines").path)
        #expect(records.count == 2)
        result = try CLI.run(["takes", "show.higgs"], in: folder)
        #expect(result.stdout.contains("3 takes used by the lines") && result.stdout.contains("nothing unused"))

        result = try CLI.run(["takes", "missing.higgs"], in: folder)
        #expect(result.status == 1 && result.stderr.hasPrefix("higgs: ") && result.stderr.contains("missing.higgs"))
    }
}
