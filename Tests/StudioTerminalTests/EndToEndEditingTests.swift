import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// `o` on a line without a tag (it goes on with the speaker before it) opens the next speaker's line, as on
    /// the tagged line it continues.
    @Test func aNewLineAfterAContinuationHasTheNextSpeakersTag() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic), CastMember(name: "Bo", voice: .automatic)],
                                                       script: ["[Ann] One.", "[Bo] Two.", "And more from Bo."]),
                                           named: "turns.higgs", in: folder, showing: "And more from Bo.", width: 120, height: 24)
        try tmux.keys(">", "o")
        try tmux.type("Three.")
        try tmux.keys("Escape", "C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).script
            == ["[Ann] One.", "[Bo] Two.", "And more from Bo.", "[Ann] Three."])
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// A line with no tag and no speaker before it, in a script that has speakers, says what becomes of it (explore
    /// pass 8: it was drawn without a speaker's bar, and nothing said why).
    @Test func aLineWithNoSpeakerBeforeItSaysSo() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (_, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                                                    script: ["Once upon a time.", "[Ann] Hello.", "And goodbye."]),
                                        named: "untagged.higgs", in: folder, showing: "Once upon a time.", width: 160, height: 24)
        try tmux.waitFor("the hint") { $0.contains("line 1: no speaker (no tag, and none before it): the model picks its voice; a [Name] tag casts it") }
        // A line after a tag goes on with its speaker: nothing to say.
        try tmux.keys("j", "j")
        try tmux.waitFor("the third line, without the hint") { $0.contains("Line 3") || !$0.contains("no speaker") }
        #expect(try !tmux.screen().contains("no speaker"))
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// In an audiobook, a pause of more than a second just above a chapter note says it opens that chapter, more room
    /// tone than ACX takes (explore pass 9, 11: only check.txt said so, after the export).
    @Test func aLongPauseAboveAChapterSaysItOpensIt() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] Read by Ann.", "# pause: 1.5", "# chapter: Arrival", "[Ann] Chapter one."])
        project.settings.audiobook = true
        let (_, tmux) = try Self.studio(on: project, named: "book.higgs", in: folder, showing: "Read by Ann.", width: 200, height: 24)
        try tmux.keys("j")
        try tmux.waitFor("the hint") {
            $0.contains("line 2: this pause opens the chapter below (Arrival): 1.5 s of room tone first, where ACX wants 0.5 to 1")
        }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// A tab in a line (written by another editor) shows as a space, not `?`, and stays in the file (explore pass 6, D2).
    @Test func aTabShowsAsASpace() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann]\tTabbed\twords."]),
                                           named: "tab.higgs", in: folder, showing: "Tabbed", width: 120, height: 24)
        #expect(try tmux.screen().contains("[Ann] Tabbed words."))
        try tmux.keys("C-q")
        try tmux.waitForShell()
        #expect(try ProjectFile.load(file).script == ["[Ann]\tTabbed\twords."])
    }

    /// With a TERM that is not the terminal's (xterm-256color inside tmux, whose Home is `ESC [ 1 ~`), Home and End
    /// still move in the line being edited: the sequence is read whole, not as Escape and command keys (explore pass 8,
    /// B3, where a following `x` deleted the line).
    @Test func homeAndEndWorkUnderAnotherTerminalsTERM() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One two.", "[Ann] Short line."]),
                                           named: "k.higgs", in: folder, showing: "Short line.", width: 120, height: 24,
                                           environment: ["TERM": "xterm-256color"])
        try tmux.keys("j", "Enter", "Home")
        try tmux.type("x")
        try tmux.keys("End")
        try tmux.type("y")
        try tmux.keys("Escape")
        try tmux.waitFor("the edit at both ends") { $0.contains("x[Ann] Short line.y") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).script == ["[Ann] One two.", "x[Ann] Short line.y"])
        try tmux.keys("q")
        try tmux.waitForShell()
    }

    /// A window too small for the studio shows only why (wrapped to it), and takes no key into a line being edited or
    /// a dialog; Ctrl-Q there asks nothing and keeps unsaved changes in the autosave (explore pass 8, B4, D1, D2).
    @Test func aWindowTooSmallTakesNoKeysAndQuitsKeepingTheChanges() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One two."]),
                                           named: "small.higgs", in: folder, showing: "One two.", width: 80, height: 24)
        try tmux.keys("Enter")
        try tmux.type(" Three.")
        try tmux.waitFor("the edit") { $0.contains("One two. Three.") }
        try tmux.resize(width: 30, height: 8)
        let notice = try tmux.waitFor("the notice, wrapped") { $0.contains("Higgs Studio needs at least") }
        #expect(notice.contains("Ctrl-Q") && notice.contains("30x8"), "\(notice)")
        try tmux.type("abc")
        try tmux.resize(width: 80, height: 24)
        try tmux.waitFor("the studio again") { $0.contains("One two. Three.") }
        #expect(try !tmux.screen().contains("Three.abc"))
        // A dialog open as the window shrinks is not drawn over the notice, and takes no answer from it.
        try tmux.keys("Escape", "C-o")
        try tmux.waitFor("the open dialog") { $0.contains("Open a project") }
        try tmux.resize(width: 30, height: 8)
        try tmux.waitFor("the notice alone") { $0.contains("Higgs Studio needs") && !$0.contains("Open a project") }
        try tmux.type("x.higgs")
        try tmux.keys("Enter")
        try tmux.resize(width: 80, height: 24)
        try tmux.waitFor("the dialog, as it was") { $0.contains("Open a project") && !$0.contains("x.higgs") }
        try tmux.keys("Escape")
        try tmux.resize(width: 30, height: 8)
        try tmux.waitFor("the notice") { $0.contains("Higgs Studio needs") }
        try tmux.keys("C-q")
        try tmux.waitForShell()
        let autosave = ProjectFile.autosaveURL(for: file)
        #expect(try tmux.screen(joined: true).contains("higgs: quit in a window too small to ask about unsaved changes; unsaved changes are in"))
        #expect(try ProjectFormat.read(String(contentsOf: autosave, encoding: .utf8), file: autosave.path).project.script == ["[Ann] One two. Three."])
        #expect(try ProjectFile.load(file).script == ["[Ann] One two."])
    }

    /// The cast panel shows names as wide as they are where it has room: two detectives are told apart (explore pass
    /// 8, D4); their voices follow in one column.
    @Test func theCastPanelShowsWholeNames() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cast = [CastMember(name: "Detective Smith", voice: .automatic), CastMember(name: "Detective Jones", voice: .profile("calm"))]
        let (_, tmux) = try Self.studio(on: Project(cast: cast, script: ["[Detective Smith] Well?", "[Detective Jones] Nothing."]),
                                        named: "cast.higgs", in: folder, showing: "Nothing.", width: 140, height: 24)
        let screen = try tmux.screen()
        #expect(screen.contains("▌ Detective Smith auto ") && screen.contains("▌ Detective Jones ! profile:calm "), "\(screen)")
        // At the narrowest, the title drops whole the facts it has no room for, never cutting one (explore pass 8, D3).
        try tmux.resize(width: 60, height: 20)
        let title = try tmux.waitFor("the narrow title") { !$0.contains("Cast ") }.split(separator: "\n")[0]
        #expect(title.trimmingCharacters(in: .whitespaces) == "Higgs Studio  cast.higgs · no scene · 2 speakers · 2 lines", "\(title)")
        try tmux.keys("Enter")
        try tmux.type(" Well, well.")
        let edited = try tmux.waitFor("the edited title") { $0.contains("cast.higgs ●") }.split(separator: "\n")[0]
        #expect(edited.trimmingCharacters(in: .whitespaces) == "Higgs Studio  cast.higgs ● · no scene · 2 speakers F1 help", "\(edited)")
        try tmux.keys("Escape", "q")
        try tmux.waitFor("the quit question") { $0.contains("Save changes") }
        try tmux.keys("n")
        try tmux.waitForShell()
    }
}
