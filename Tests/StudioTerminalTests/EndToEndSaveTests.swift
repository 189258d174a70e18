import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// A save does not silently replace what another program wrote to the file meanwhile (it asks, and `n` keeps
    /// that), and Alt-S saves the project under another name, the original left as it was.
    @Test func aSaveAsksBeforeReplacingAnotherProgramsChangesAndSavesAs() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studioOnOneLine(in: folder)
        try tmux.keys("Enter")  // edits the line, the cursor at its end
        try tmux.type(" Mine.")
        try tmux.keys("Escape")
        try tmux.waitFor("the edit") { $0.contains("First line. Mine.") && $0.contains("p.higgs ●") }

        // Another editor writes the file.
        try ProjectFile.save(Project(script: ["[SPEAKER0] First line.", "[SPEAKER0] Theirs."]), to: file)
        try tmux.keys("C-s")
        try tmux.waitFor("the question") { $0.contains("p.higgs was changed by another program since it was last opened") && $0.contains("Replace that with this") }
        try tmux.keys("n")
        try tmux.waitFor("the refusal") { $0.contains("Not saved: \(file.path) keeps what the other program wrote.") }
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] First line.", "[SPEAKER0] Theirs."])

        // Saved under another name: the typed name replaces the one offered.
        try tmux.keys("M-s")
        try tmux.waitFor("the name asked") { $0.contains("Save as:") && $0.contains("p.higgs") }
        try tmux.type("mine")
        try tmux.keys("Enter")
        let copy = folder.appendingPathComponent("mine.higgs")
        try tmux.waitFor("the save") { $0.contains("Saved \(copy.path).") && $0.contains("mine.higgs") }
        #expect(try ProjectFile.load(copy).script == ["[SPEAKER0] First line. Mine."])
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] First line.", "[SPEAKER0] Theirs."])

        // The studio goes on with the new file; once it is changed elsewhere too, `y` replaces that.
        try tmux.keys("Enter")
        try tmux.type(" Again.")
        try tmux.keys("Escape")
        try ProjectFile.save(Project(script: ["[SPEAKER0] Elsewhere."]), to: copy)
        try tmux.keys("C-s")
        try tmux.waitFor("the question") { $0.contains("mine.higgs was changed by another program since it was last") }
        try tmux.keys("y")
        try tmux.waitFor("the save") { $0.contains("Saved \(copy.path).") }
        #expect(try ProjectFile.load(copy).script == ["[SPEAKER0] First line. Mine. Again."])
        try tmux.keys("q")
        try tmux.waitForShell()
    }

    /// A setting this version does not read (a newer version's) does not stop the file opening: it is told as the file
    /// opens, listed in the settings dialog, and kept where it was through an edit and a save.
    @Test func aNewerVersionsSettingIsToldOnOpenAndKeptThroughASave() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let kept = [UnknownSetting(key: "speed", value: "1.1", after: "temperature")]
        let project = Project(unknownSettings: kept, script: ["[SPEAKER0] First line."])
        let (file, tmux) = try Self.studio(on: project, named: "p.higgs", in: folder, showing: "First line.", width: 200)
        try tmux.waitFor("the warning") {
            $0.contains("p.higgs:3: unknown setting 'speed': this version does not use it and keeps it as written")
        }
        try tmux.keys(",")
        try tmux.waitFor("the settings dialog") { $0.contains("Kept as written, not used by this version: speed: 1.1") }
        // A value that does not read is refused and asked for again as typed.
        try tmux.keys("Enter")
        try tmux.waitFor("the temperature asked") { $0.contains("temperature (a number >= 0") }
        try tmux.type("x")
        try tmux.keys("Enter")
        try tmux.waitFor("the value refused, asked again as typed") { $0.contains("temperature (a number >= 0") && $0.contains("1.0x") }
        try tmux.keys("BSpace", "Enter")
        try tmux.waitFor("the value taken") { !$0.contains("temperature (a number >= 0") && !$0.contains("1.0x") }
        try tmux.keys("Escape", "Enter")
        try tmux.type(" Edited.")
        try tmux.keys("Escape")
        try tmux.waitFor("the edit") { $0.contains("First line. Edited.") && $0.contains("p.higgs ●") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved \(file.path).") }
        #expect(try String(contentsOf: file, encoding: .utf8).contains("settings:\n  temperature: 1.0\n  speed: 1.1\n  top-k: 50\n"))
        #expect(try ProjectFile.load(file).unknownSettings == kept)

        // Written again by the newer version, with one more: read again, and both are told.
        let more = kept + [UnknownSetting(key: "pitch", value: "low", after: "temperature")]
        try ProjectFile.save(Project(unknownSettings: more, script: ["[SPEAKER0] Newer."]), to: file)
        try tmux.waitFor("the file read again") {
            $0.contains("Newer.")
                && $0.contains("Read again: p.higgs:3: unknown settings 'speed', 'pitch' (line 4): this version does not use them")
        }
        try tmux.keys("q")
        try tmux.waitForShell()
    }

    /// A project a Windows editor saved keeps its CR LF line ends through the studio's save: version control sees the
    /// line edited, not every line.
    @Test func aSaveKeepsTheFilesWindowsLineEnds() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("w.higgs")
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] First line.", "[Ann] Second line."])
        try ProjectFile.save(project, to: file, crlf: true)
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "w.higgs"])
        try tmux.waitFor("the project") { $0.contains("Second line.") }
        try tmux.keys("Enter")
        try tmux.type(" Edited.")
        try tmux.keys("Escape")
        try tmux.waitFor("the edit") { $0.contains("First line. Edited.") && $0.contains("w.higgs ●") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved \(file.path).") }
        var edited = project
        edited.script[0] = "[Ann] First line. Edited."
        let saved = try Data(contentsOf: file)
        #expect(ProjectFile.endsLinesWithCRLF(saved))
        #expect(try ProjectFile.load(file) == edited)
        #expect(String(decoding: saved, as: UTF8.self) == ProjectFormat.print(edited).replacingOccurrences(of: "\n", with: "\r\n"))
        try tmux.keys("q")
        try tmux.waitForShell()
    }

    /// A new project named in a folder that does not exist says so at once, and Alt-S saves it elsewhere: the
    /// writing is not lost to a save that cannot happen.
    @Test func aProjectInAMissingFolderIsSavedElsewhere() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "gone/p.higgs"])
        try tmux.waitFor("the warning") { $0.contains("There is no folder \(folder.path)/gone: Ctrl-S cannot save there") }
        try tmux.keys("Enter")
        try tmux.type("[SPEAKER0] Kept.")
        try tmux.keys("Escape", "C-s")
        try tmux.waitFor("the save refused, and the way out") {
            $0.contains("not saved: \(folder.path)/gone/p.higgs: there is no folder \(folder.path)/gone") && $0.contains("Alt-S saves")
        }
        try tmux.keys("M-s")
        try tmux.waitFor("the name asked") { $0.contains("Save as:") }
        try tmux.type("here")
        try tmux.keys("Enter")
        try tmux.waitFor("the save") { $0.contains("Saved \(folder.path)/here.higgs.") }
        #expect(try ProjectFile.load(folder.appendingPathComponent("here.higgs")).script == ["[SPEAKER0] Kept."])
        try tmux.keys("q")
        try tmux.waitForShell()
    }

    /// An autosave recovered over a file another program saved after it: the save asks before replacing that
    /// file's content, as it asks for a change made while the project is open.
    @Test func aRecoveredAutosaveAsksBeforeReplacingALaterSave() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("later.higgs")
        // The file saved (a save takes its autosave away), then the autosave as a crash a minute before left it.
        try ProjectFile.save(Project(script: ["[SPEAKER0] Saved by another program."]), to: file)
        try ProjectFile.autosave(Project(script: ["[SPEAKER0] Typed before the crash."]), for: file)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)],
                                              ofItemAtPath: ProjectFile.autosaveURL(for: file).path)
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "later.higgs"], waitFor: "Unsaved changes to")
        let question = try tmux.screen()
        #expect(question.contains("recovering sets that aside, and Ctrl-S asks before replacing it."), "\(question)")
        try tmux.keys("y")
        try tmux.waitFor("the recovered line") { $0.contains("Typed before the crash.") && $0.contains("later.higgs ●") }
        try tmux.keys("C-s")
        try tmux.waitFor("the question") { $0.contains("later.higgs was changed by another program") }
        try tmux.keys("n")
        try tmux.waitFor("not saved") { $0.contains("Not saved: ") }
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] Saved by another program."])
        try tmux.keys("C-s")
        try tmux.waitFor("the question again") { $0.contains("later.higgs was changed by another program") }
        try tmux.keys("y")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] Typed before the crash."])
        try tmux.keys("q")
        try tmux.waitForShell()
    }

    /// The project file written by another program is read again while nothing here is unsaved, as editors do;
    /// with unsaved changes here the studio says so instead, and keeps them.
    @Test func aFileChangedElsewhereIsReadAgainOrSaid() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studioOnOneLine(in: folder)

        try ProjectFile.save(Project(script: ["[SPEAKER0] First line.", "[SPEAKER0] Written elsewhere."]), to: file)
        try tmux.waitFor("the file read again") { $0.contains("Written elsewhere.") && $0.contains("Read p.higgs again: another program changed it.") }

        try tmux.keys("Enter")
        try tmux.type(" Mine.")
        try tmux.keys("Escape")
        try tmux.waitFor("the edit") { $0.contains("p.higgs ●") }
        try ProjectFile.save(Project(script: ["[SPEAKER0] Third version."]), to: file)
        try tmux.waitFor("the warning") { $0.contains("p.higgs was changed by another program; Ctrl-S asks before replacing it") }
        // Deleted by another program: said (explore pass 6, D8: a save quietly made it again).
        try FileManager.default.removeItem(at: file)
        try tmux.waitFor("the file said gone") { $0.contains("p.higgs was deleted or moved by another program") }
        try ProjectFile.save(Project(script: ["[SPEAKER0] Third version."]), to: file)
        #expect(try tmux.screen().contains("First line. Mine.") && !tmux.screen().contains("Third version."))
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to p.higgs") }
        try tmux.keys("n")
        try tmux.waitForShell()
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] Third version."])
    }

    /// A file read again after lines were made, with no edit here: its lines are planned anew (explore pass 6, B1: the
    /// old lines' takes showed as the new lines', and `e` exported the old script).
    @Test func aFileReadAgainIsPlannedAnew() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One.", "[Ann] Two."])
        project.settings.maxNewTokens = 40
        let file = folder.appendingPathComponent("r.higgs")
        let tmux = try Self.studioWithEngine(on: project, named: "r.higgs", in: folder, height: 24)
        func row(_ screen: String, _ text: String) -> Substring? { screen.split(separator: "\n").first { $0.contains(text) } }
        func made(_ row: Substring?) -> Bool { row.map { $0.contains("✓") || $0.contains("✂") } ?? false }
        try tmux.keys("A")
        try tmux.waitFor("both lines made") { made(row($0, "[Ann] One.")) && made(row($0, "[Ann] Two.")) }

        project.script[0] = "[Ann] Brand new words."
        try ProjectFile.save(project, to: file)
        try tmux.waitFor("the file read again") { $0.contains("Read r.higgs again: another program changed it.") }
        try tmux.waitFor("the new line without a take") { screen in
            row(screen, "[Ann] Brand new words.").map { $0.contains("·") && !made($0) } ?? false
        }
        // Line 2's context changed: its take is out of date.
        #expect(try row(tmux.screen(), "[Ann] Two.")?.contains("~") == true)
        // The text before the file was read again is an undo away (then unsaved here).
        try tmux.keys("u")
        try tmux.waitFor("the text before, made again") { made(row($0, "[Ann] One.")) && $0.contains("r.higgs ●") }
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to r.higgs") }
        try tmux.keys("n")
        try tmux.waitForShell()
    }

    /// Ended by a signal when its autosave cannot be written (here its name would be too long for the file system), the
    /// studio keeps the unsaved changes in the temporary folder and says where (explore pass 6, A1: it named the
    /// autosave it had failed to write, and the changes were lost).
    @Test func aSignalWithTheAutosaveUnwritableKeepsTheChangesElsewhere() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        // 250 characters: the file is fine, `.NAME.autosave` is past the 255 a name may have.
        let name = String(repeating: "n", count: 244)
        let file = folder.appendingPathComponent(name + ".higgs")
        // Written as another program would (a save of ours, through a temporary file, could not name it).
        try Data(ProjectFormat.print(Project(script: ["[SPEAKER0] Saved."])).utf8).write(to: file)
        let tmux = try TmuxSession(width: 160, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", file.lastPathComponent])
        try tmux.waitFor("the project") { $0.contains("[SPEAKER0] Saved.") }
        try tmux.keys("Enter")
        try tmux.type(" Typed here.")
        try tmux.keys("Escape")
        try tmux.waitFor("the autosave failing") { $0.contains("autosave failed:") && $0.contains("File name too") }
        let pid = try #require(try tmux.foregroundPID())
        let spare = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("higgs-unsaved-\(pid)-\(name.prefix(100)).higgs")
        defer { try? FileManager.default.removeItem(at: spare) }
        kill(pid, SIGTERM)
        try tmux.waitForShell("the shell prompt after SIGTERM")
        let screen = try tmux.screen(joined: true)
        #expect(screen.contains("higgs: Terminated; the autosave could not be written (") && screen.contains("unsaved changes are in \(spare.path) instead"),
                "\(screen)")
        #expect(try ProjectFile.load(spare).script == ["[SPEAKER0] Saved. Typed here."])
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] Saved."])
    }

    /// A file another program wrote while changes were unsaved here, and the studio then ended: the recovery says so and
    /// its save asks, though the autosave, written last, is newer than the file (explore pass 6, A2).
    @Test func aRecoveryKnowsTheFileChangedSinceItsChangesBegan() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("sync.higgs")
        let saved = try ProjectFile.save(Project(script: ["[SPEAKER0] Mine."]), to: file)
        let autosave = ProjectFile.autosaveURL(for: file)
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "sync.higgs"])
        try tmux.waitFor("the project") { $0.contains("[SPEAKER0] Mine.") }
        try tmux.keys("Enter")
        try tmux.type(" One.")
        try tmux.keys("Escape")
        try tmux.waitUntil("the first autosave") { ((try? String(contentsOf: autosave, encoding: .utf8)) ?? "").contains("Mine. One.") }
        // Another program (a sync client) adds a line; the edits here go on.
        try Data((String(decoding: saved, as: UTF8.self) + "[SPEAKER0] From my laptop.\n").utf8).write(to: file)
        try tmux.waitFor("the warning") { $0.contains("sync.higgs was changed by another program") }
        try tmux.keys("Enter")
        try tmux.type(" Two.")
        try tmux.keys("Escape")
        try tmux.waitUntil("the second autosave") { ((try? String(contentsOf: autosave, encoding: .utf8)) ?? "").contains("Mine. One. Two.") }
        let pid = try #require(try tmux.foregroundPID())
        kill(pid, SIGTERM)
        try tmux.waitForShell("the shell prompt after SIGTERM")

        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "sync.higgs"], waitFor: "Unsaved changes to")
        let question = try tmux.screen()
        #expect(question.contains("recovering sets that aside, and Ctrl-S asks before replacing it."), "\(question)")
        try tmux.keys("y")
        try tmux.waitFor("the recovered line") { $0.contains("Mine. One. Two.") && $0.contains("sync.higgs ●") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save's question") { $0.contains("sync.higgs was changed by another program") }
        try tmux.keys("n")
        try tmux.waitFor("not saved") { $0.contains("keeps what the other program wrote") }
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] Mine.", "[SPEAKER0] From my laptop."])
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to sync.higgs") }
        try tmux.keys("n")
        try tmux.waitForShell()
        #expect(try ProjectFile.load(file).script == ["[SPEAKER0] Mine.", "[SPEAKER0] From my laptop."])
    }

    /// A terminal that cannot draw the studio (TERM=dumb) is told so, rather than shown a blank screen (explore pass 6).
    @Test func aDumbTerminalIsRefused() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 160, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "p.higgs"], environment: ["TERM": "dumb"],
                              waitFor: "cannot draw the studio")
        try tmux.waitForShell()
        #expect(try tmux.screen(joined: true).contains("this terminal (TERM=dumb) cannot draw the studio; run it in a terminal such as xterm"))
    }
}
