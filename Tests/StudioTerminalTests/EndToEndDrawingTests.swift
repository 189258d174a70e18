import Foundation
import Studio
import TestSupport
import Testing

/// What the screen shows of text that does not fit, or has no width (explore pass 8, D5 to D7).
extension EndToEndTests {
    /// `/` finding a word past the end of what a long line's row shows starts the row a little before it, `…` first,
    /// and editing starts at the word (explore pass 8, D6: the row stayed at the line's start, the word unseen).
    @Test func aWordFoundPastTheRowsEndIsShown() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = "[Ann] " + Array(repeating: "And then she walked on along the shore.", count: 4).joined(separator: " ")
            + " There was the lighthouse, at last."
        let (file, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One.", long]),
                                           named: "long.higgs", in: folder, showing: "[Ann] One.", width: 80, height: 24)
        #expect(try !tmux.screen().contains("lighthouse"))
        try tmux.keys("/")
        try tmux.waitFor("the find prompt") { $0.contains("Find (Enter") }
        try tmux.type("lighthouse")
        try tmux.keys("Enter")
        let screen = try tmux.waitFor("the word found") { $0.contains("“lighthouse”: line 2, 1 of 1.") }
        let row = screen.split(separator: "\n").first { $0.contains("lighthouse") }
        #expect(row?.contains("▌ …") == true && row?.contains("There was the lighthouse, at last.") == true, "\(screen)")
        try tmux.keys("Enter")
        try tmux.type("old ")
        try tmux.keys("Escape", "C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).script.last?.hasSuffix("There was the old lighthouse, at last.") == true)
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// A zero-width space (pasted from a web page) takes a column, drawn as `?`: the rest of the row stays where the
    /// editor counts it, and no stray cells are left (explore pass 8, D7).
    @Test func aCharacterWithNoWidthIsDrawnAsAStandIn() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] zero\u{200B}width here."]),
                                           named: "zw.higgs", in: folder, showing: "width here.", width: 80, height: 24)
        #expect(try tmux.screen().contains("[Ann] zero?width here."))
        // The cursor goes over it as over any character: End, then 12 left, is before it; the x typed goes there.
        try tmux.keys("Enter", "End")
        for _ in 0..<12 { try tmux.keys("Left") }
        try tmux.type("x")
        try tmux.keys("Escape")
        try tmux.waitFor("the edit") { $0.contains("[Ann] zerox?width here.") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).script == ["[Ann] zerox\u{200B}width here."])
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// A voice cut short in the cast panel ends in `…`, and so does the selected speaker's description where the panel
    /// has no more rows for it (explore pass 8, D5: both were cut with nothing to say so).
    @Test func textCutShortEndsInAnEllipsis() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let voice = "an_announcer_with_a_voice_name_long_enough_to_be_cut"
        let description = Array(repeating: "A warm, slow, low voice that takes its time over every word.", count: 6).joined(separator: " ")
        let voices = folder.appendingPathComponent("Voices")
        try FileManager.default.createDirectory(at: voices, withIntermediateDirectories: true)
        try "profiles:\n  \(voice): \(description)\n".write(to: voices.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let file = folder.appendingPathComponent("cut.higgs")
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .profile(voice))], script: ["[Ann] One."]), to: file)
        let tmux = try TmuxSession(width: 120, height: 24, folder: folder)
        try tmux.launchStudio(["--voices", voices.path, "--scenes", Self.repository.appendingPathComponent("Scenes").path,
                               "--audio-device", "null", "cut.higgs"])
        var screen = try tmux.waitFor("the cast panel") { $0.contains(" Cast ") && $0.contains("[Ann] One.") }
        let castRow = screen.split(separator: "\n").first { $0.contains("▌ Ann") }
        #expect(castRow?.contains("profile:an_announcer") == true && castRow?.contains("…") == true, "\(screen)")
        try tmux.keys("Tab")
        screen = try tmux.waitFor("the description") { $0.contains("SPEAKER0: A warm, slow") }
        // The panel's rows from the description's first on: its last ends in `…`.
        let panel = screen.split(separator: "\n").map { $0.prefix(while: { $0 != "│" }).trimmingCharacters(in: .whitespaces) }
        let described = panel.drop { !$0.contains("SPEAKER0: A warm") }.prefix { !$0.isEmpty && !$0.contains("Scene") }
        #expect(described.count > 1 && described.last?.hasSuffix("…") == true, "\(screen)")
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }
}
