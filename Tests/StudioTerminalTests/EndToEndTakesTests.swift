import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// The takes folder removed while the studio is open: the lines show they have no take and the screen says so,
    /// `e` keeps the export there is, and `g` makes a line again (the folder made anew).
    @Test func aRemovedTakesFolderIsNoticedAndTheExportKept() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 200, height: 30, folder: folder)
        try tmux.launchStudio(try Self.testModelFlags(in: folder) + ["--audio-device", "null"] + Self.libraryFlags)
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        func lineRows(_ screen: String) -> [Substring] { screen.split(separator: "\n").filter { $0.contains("▌ [") && $0.contains("│") } }
        try tmux.keys("A")
        try tmux.waitFor("every line made", timeout: 180) { screen in
            lineRows(screen).allSatisfy { $0.contains("✓") || $0.contains("✂") }
        }
        try tmux.keys("e")
        try tmux.waitFor("the export of every line", timeout: 60) { $0.contains("Exported to ") && $0.contains("7 lines, ") }
        let export = folder.appendingPathComponent("untitled.export")
        let exported = try FileManager.default.contentsOfDirectory(atPath: export.appendingPathComponent("lines").path)
        #expect(exported.count == 7)

        try FileManager.default.removeItem(at: folder.appendingPathComponent("untitled.takes"))
        try tmux.waitFor("the takes said missing") { $0.contains("untitled.takes/ is missing: 7 lines lost their takes") }
        #expect(try lineRows(tmux.screen()).allSatisfy { !$0.contains("✓") && !$0.contains("✂") })

        try tmux.keys("e")
        try tmux.waitFor("the export refused") { $0.contains("Not exported: no line has a take (untitled.takes/ is missing)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: export.appendingPathComponent("lines").path) == exported)
        #expect(FileManager.default.fileExists(atPath: export.appendingPathComponent("untitled.wav").path))

        // The next line still to make is made again, into a takes folder made anew.
        try tmux.keys(")", "g")
        try tmux.waitFor("a line made again", timeout: 120) { screen in lineRows(screen).contains { $0.contains("✓") || $0.contains("✂") } }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("untitled.takes").path))
        try tmux.keys("C-q")
    }

    /// A take cut at its limit that a setting then put out of date shows both, at the line and in its hint (explore
    /// pass 5, D3: the cut mark hid that `A` would make it anew).
    @Test func aCutTakeOutOfDateShowsBoth() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One, two, three, four."])
        project.settings.maxNewTokens = 6
        let tmux = try Self.studioWithEngine(on: project, named: "cut.higgs", in: folder, width: 200)
        func lineRow(_ screen: String) -> Substring? { screen.split(separator: "\n").first { $0.contains("▌ [Ann] One") } }
        try tmux.keys("g")
        try tmux.waitFor("the take cut at max-new-tokens") { screen in
            lineRow(screen)?.contains("✂") == true && lineRow(screen)?.contains("~") == false && screen.contains("at max-new-tokens (6)")
        }
        #expect(try !tmux.screen().contains("out of date"))
        try tmux.keys(",", "Right", "Escape")
        try tmux.waitFor("both marks") { screen in
            lineRow(screen)?.contains("~✂") == true && screen.contains("(and it is out of date: A or g makes it anew)")
        }
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to cut.higgs") }
        try tmux.keys("n")
        try tmux.waitForShell()
    }
}
