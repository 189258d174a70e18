import AudioIO
import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// Signals and vanished terminals: the studio leaves a sane terminal and keeps unsaved changes.
extension EndToEndTests {
    @Test func sigtermLeavesASaneTerminalAndARecoverableAutosave() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 80, height: 24, folder: folder)
        let before = folder.appendingPathComponent("stty-before")
        try tmux.run("stty -g > '\(before.path)'")
        try tmux.waitUntil("stty") { ((try? String(contentsOf: before, encoding: .utf8)) ?? "").hasSuffix("\n") }

        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "play.higgs"])
        try tmux.waitFor("the empty project") { $0.contains("play.higgs") && $0.contains(" Script ") }
        try tmux.keys("Enter")
        try tmux.type("[SPEAKER0] Written before the kill. 杀")
        let autosave = ProjectFile.autosaveURL(for: folder.appendingPathComponent("play.higgs"))
        try tmux.waitUntil("the autosave with the typed line") {
            ((try? String(contentsOf: autosave, encoding: .utf8)) ?? "").contains("Written before the kill. 杀")
        }
        let pid = try #require(try tmux.foregroundPID())
        kill(pid, SIGTERM)
        try tmux.waitForShell("the shell prompt after SIGTERM")
        #expect(try tmux.screen(joined: true).contains("higgs: Terminated; unsaved changes are in \(autosave.path)"))

        // The terminal modes are what they were before the studio started.
        let after = folder.appendingPathComponent("stty-after")
        try tmux.run("stty -g > '\(after.path)'")
        try tmux.waitUntil("stty") { ((try? String(contentsOf: after, encoding: .utf8)) ?? "").hasSuffix("\n") }
        #expect(try String(contentsOf: after, encoding: .utf8) == String(contentsOf: before, encoding: .utf8))
        // And the shell still echoes what is typed, line by line.
        try tmux.run("echo still-sane")
        try tmux.waitFor("the shell to answer") { $0.contains("\nstill-sane\n") }

        // The next start offers the autosave back.
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "play.higgs"], waitFor: "Unsaved changes to")
        try tmux.keys("y")
        try tmux.waitFor("the recovered line") { $0.contains("[SPEAKER0] Written before the kill. 杀") && $0.contains("play.higgs ●") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        try tmux.keys("q")
        try tmux.waitForShell()
        #expect(try ProjectFile.load(folder.appendingPathComponent("play.higgs")).script == ["[SPEAKER0] Written before the kill. 杀"])

        // SIGQUIT the same way: no crash report over the screen, the studio ends with its autosave said (explore pass 8, D8).
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "play.higgs"])
        try tmux.waitFor("the saved project") { $0.contains("Written before the kill.") }
        try tmux.keys("Enter")
        try tmux.type(" And more.")
        try tmux.waitUntil("the autosave with the typed words") {
            ((try? String(contentsOf: autosave, encoding: .utf8)) ?? "").contains("And more.")
        }
        kill(try #require(try tmux.foregroundPID()), SIGQUIT)
        try tmux.waitForShell("the shell prompt after SIGQUIT")
        let screen = try tmux.screen(joined: true)
        #expect(screen.contains("higgs: Quit; unsaved changes are in \(autosave.path)") && !screen.contains("crashed"), "\(screen)")

        // The question says what the recovery changes, and u takes it back (explore pass 9, 12: "Nothing to undo").
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "play.higgs"], waitFor: "Unsaved changes to")
        try tmux.waitFor("what it changes") { $0.contains("(1 line changed)") }
        try tmux.keys("y")
        try tmux.waitFor("the recovered words") { $0.contains("Written before the kill. 杀 And more.") && $0.contains("play.higgs ●") }
        try tmux.keys("u")
        try tmux.waitFor("the file's words") { !$0.contains("And more.") && $0.contains("Written before the kill. 杀") && !$0.contains("play.higgs ●") }
        try tmux.keys("q")
        try tmux.waitForShell()
        #expect(try ProjectFile.load(folder.appendingPathComponent("play.higgs")).script == ["[SPEAKER0] Written before the kill. 杀"])
    }

    /// A terminal that vanishes (its window closed, its tmux killed) ends the studio with the edits in the
    /// autosave, and no process left behind.
    @Test func vanishedTerminalLeavesAnAutosaveAndNoProcess() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 80, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "gone.higgs"])
        try tmux.keys("Enter")
        try tmux.type("[SPEAKER0] Typed just before the window closed.")
        let autosave = ProjectFile.autosaveURL(for: folder.appendingPathComponent("gone.higgs"))
        try tmux.waitUntil("the autosave") {
            ((try? String(contentsOf: autosave, encoding: .utf8)) ?? "").contains("Typed just before the window closed.")
        }
        let pid = try #require(try tmux.foregroundPID())
        try tmux.killServerHard()
        try tmux.waitUntil("the studio to exit") { kill(pid, 0) != 0 }
        #expect(ProjectFile.recovery(for: folder.appendingPathComponent("gone.higgs"))?.project.script
            == ["[SPEAKER0] Typed just before the window closed."])
    }
}
