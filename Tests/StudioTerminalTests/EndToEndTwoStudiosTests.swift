import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// Two studios on one project (two terminals): the second asks before opening it and writes an autosave of its
    /// own; saving and quitting there leaves the first's autosave and open mark, so that when the first is killed
    /// its unsaved line is offered at the next open.
    @Test func aSecondStudioAsksAndLeavesTheFirstsUnsavedWorkAlone() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, first) = try Self.studioOnOneLine(in: folder)
        let firstPID = try #require(try first.foregroundPID())
        try first.keys("Enter")
        try first.type(" From the first.")
        try first.keys("Escape")
        let shared = ProjectFile.autosaveURL(for: file)
        try first.waitUntil("the first studio's autosave") {
            ((try? String(contentsOf: shared, encoding: .utf8)) ?? "").contains("From the first.")
        }

        // `n` at start quits, the mark as it was.
        let second = try TmuxSession(width: 160, height: 30, folder: folder)
        try second.launchStudio(Self.libraryFlags + ["--audio-device", "null", "p.higgs"], waitFor: "p.higgs is open in another studio")
        #expect(try second.screen().contains("(process \(firstPID))"))
        try second.keys("n")
        try second.waitForShell()
        #expect(OpenMark.holders(of: file) == [firstPID])

        // Ctrl-O asks the same: `n` stays in the project open, `y` opens it.
        try second.launchStudio(Self.libraryFlags + ["--audio-device", "null", "q.higgs"])
        for answer in ["n", "y"] {
            try second.keys("C-o")
            try second.waitFor("the open prompt") { $0.contains("Open a project") }
            try second.type("p.higgs")
            try second.keys("Enter")
            try second.waitFor("the question") { $0.contains("p.higgs is open in another studio") && $0.contains("stay in q.higgs") }
            try second.keys(answer)
        }
        try second.waitFor("the project") { $0.contains("First line.") && $0.contains("Opened \(file.path)") }
        let secondPID = try #require(try second.foregroundPID())
        try second.keys("Enter")
        try second.type(" From the second.")
        try second.keys("Escape")
        let own = ProjectFile.autosaveURL(for: file, process: secondPID)
        try second.waitUntil("the second studio's own autosave") {
            ((try? String(contentsOf: own, encoding: .utf8)) ?? "").contains("From the second.")
        }
        #expect(try String(contentsOf: shared, encoding: .utf8).contains("From the first."))
        #expect(OpenMark.holders(of: file).sorted() == [firstPID, secondPID].sorted())

        try second.keys("C-s")
        try second.waitFor("the save") { $0.contains("Saved ") }
        try second.keys("q")
        try second.waitForShell()
        // The first studio's unsaved work and its open mark are still there.
        #expect(!FileManager.default.fileExists(atPath: own.path))
        #expect(try String(contentsOf: shared, encoding: .utf8).contains("From the first."))
        #expect(OpenMark.holders(of: file) == [firstPID])

        // The first studio dies: the next open offers its line back.
        kill(firstPID, SIGKILL)
        try first.waitUntil("the first studio to end") { kill(firstPID, 0) != 0 }
        try second.launchStudio(Self.libraryFlags + ["--audio-device", "null", "p.higgs"], waitFor: "Unsaved changes to p.higgs")
        try second.keys("y")
        try second.waitFor("the recovered line") { $0.contains("First line. From the first.") && $0.contains("p.higgs ●") }
        try second.keys("q")
        try second.waitFor("the question") { $0.contains("Save changes to p.higgs before quitting?") }
        try second.keys("n")
        try second.waitForShell()
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] First line. From the second."])
        #expect(!FileManager.default.fileExists(atPath: OpenMark.url(for: file).path))
        #expect(ProjectFile.autosaves(for: file).isEmpty)
    }
}
