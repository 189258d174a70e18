import AudioIO
import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// `higgs render` on the committed random-weight model: the takes it makes are the ones the studio would
/// make and keep (the studio's plan calls them up to date), the export is theirs, and a second run
/// generates only what changed.
@Suite struct RenderCommandTests {
    @Test func rendersTheLinesTheStudioWouldAndKeepsThemNextTime() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic), CastMember(name: "Bo", voice: .automatic)],
                              script: ["[Ann] Hello there.", "[Bo] Hi Ann.", "", "[Cy] Who am I?"])
        project.settings.maxNewTokens = 60
        let file = folder.appendingPathComponent("show.higgs")
        try ProjectFile.save(project, to: file)
        let flags = ["--model", model.path, "--audio-tokenizer", tokenizer.path, "--precision", "bf16",
                     "--voices", folder.path, "--scenes", folder.path]

        // The engine's pace is kept in the cache folder between runs (here under HOME).
        let cache = ["HIGGS_CACHE": "", "XDG_CACHE_HOME": ""]
        let paces = folder.appendingPathComponent(".cache/higgs-studio/pace.json")

        // Cy is not cast: said at once, the others generated and exported, and the exit status says so.
        var result = try CLI.run(["render", "show.higgs"] + flags, in: folder, environment: cache)
        #expect(result.status == 1)
        #expect(result.stderr.contains("show.higgs: 3 lines, 3 to generate"))
        #expect(!result.stderr.contains("pace last time") && FileManager.default.fileExists(atPath: paces.path))
        #expect(result.stderr.contains("line 4: speaker 'Cy' is not in the cast"))
        #expect(result.stderr.contains("line 1 (1/2): ") && result.stderr.contains("line 2 (2/2): "))
        // After the first line, how long the rest will take (at the pace measured); none after the last.
        let firstReport = try #require(result.stderr.split(separator: "\n").first { $0.hasPrefix("line 1 (1/2): ") })
        #expect(firstReport.contains(" s of audio in ") && firstReport.hasSuffix(" left") && firstReport.contains("; about "),
                "\(firstReport)")
        #expect(result.stderr.split(separator: "\n").first { $0.hasPrefix("line 2 (2/2): ") }?.hasSuffix(" left") == false)
        #expect(result.stderr.contains("not generated: line 4"))

        let takes = TakeStore(folder: TakeStore.folder(forProject: file))
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(folder: folder), scenes: SceneLibrary(folder: folder),
                                      takes: takes, fingerprints: ClipFingerprints())
        #expect(planner.plan(line: 0)?.isCurrent == true && planner.plan(line: 1)?.isCurrent == true)
        let first = try takes.samples(#require(planner.plan(line: 0)?.key))
        let second = try takes.samples(#require(planner.plan(line: 1)?.key))
        let export = folder.appendingPathComponent("show.export")
        let whole = try WAVFile.read(export.appendingPathComponent("show.wav")).samples
        let gap = Int(project.settings.gap * 24_000)
        #expect(!first.isEmpty && !second.isEmpty)
        #expect(whole.count == first.count + gap + second.count)
        for stem in ["Ann", "Bo"] {
            #expect(FileManager.default.fileExists(atPath: export.appendingPathComponent("stems/\(stem).wav").path))
        }

        // Cy cast as Bo: only that line is generated; the others keep their takes.
        project.script[3] = "[Bo] Who am I?"
        try ProjectFile.save(project, to: file)
        result = try CLI.run(["render", "show.higgs"] + flags, in: folder, environment: cache)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("show.higgs: 3 lines, 1 to generate"))
        // Before its first line, an estimate at the pace the engine had in the run before.
        #expect(result.stderr.split(separator: "\n").contains { $0.hasPrefix("about ") && $0.hasSuffix(" in all, at this engine's pace last time") },
                "\(result.stderr)")
        #expect(result.stderr.contains("line 4 (1/1): "))
        #expect(try takes.samples(#require(planner.plan(line: 0)?.key)) == first)
        #expect(result.stderr.contains("exported to \(export.path)/: 3 lines"))

        // An export setting changed, and a line: --export-only writes the export again with no model at all,
        // line 1 left out (no take) and the lines after it exported as they are (their context changed).
        project.settings.mp3 = 64
        project.script[0] = "[Ann] Hello there, again."
        try ProjectFile.save(project, to: file)
        result = try CLI.run(["render", "show.higgs", "--export-only", "--model", folder.appendingPathComponent("nowhere").path,
                              "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("show.higgs: 3 lines, exported as they are (2 with a take out of date)"))
        #expect(result.stderr.contains("; line 1 has no take"))
        #expect(FileManager.default.fileExists(atPath: export.appendingPathComponent("show.mp3").path))
        #expect(try CLI.run(["render", "show.higgs", "--export-only", "--no-export"], in: folder).status != 0)
    }

    /// `--chapter` generates one chapter's lines (by number or title) and exports what there is.
    @Test func oneChapterAtATime() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] Before it all.", "# chapter: Harbour", "[Ann] Boats.", "# chapter: Town", "[Ann] Streets."])
        project.settings.maxNewTokens = 60
        let file = folder.appendingPathComponent("book.higgs")
        try ProjectFile.save(project, to: file)
        let flags = ["--model", model.path, "--audio-tokenizer", tokenizer.path, "--precision", "bf16",
                     "--voices", folder.path, "--scenes", folder.path]

        var result = try CLI.run(["render", "book.higgs", "--chapter", "town"] + flags, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("book.higgs, chapter 2 (Town): 1 line, 1 to generate"))
        // Its context, the lines before it, have no takes yet: what it makes now will be made again.
        #expect(result.stderr.contains("the lines before this chapter in its scene are its first lines' context, and 2 lines of them (1, 3) "
                                       + "have no up-to-date take: this chapter's lines will be made again once they have"), "\(result.stderr)")
        #expect(result.stderr.contains("in 1 chapter file"))
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(folder: folder), scenes: SceneLibrary(folder: folder),
                                      takes: TakeStore(folder: TakeStore.folder(forProject: file)), fingerprints: ClipFingerprints())
        #expect([0, 2, 4].map { planner.plan(line: $0)?.take != nil } == [false, false, true])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("book.export/chapters/02 Town.wav").path))

        result = try CLI.run(["render", "book.higgs", "--chapter", "0", "--no-export"] + flags, in: folder)
        #expect(result.status == 0 && result.stderr.contains("chapter 0 (Opening): 1 line, 1 to generate"))
        #expect(!result.stderr.contains("this chapter's lines will be made again"))  // nothing before it
        // The whole script: the two lines without takes, and the last, whose context they are, again.
        result = try CLI.run(["render", "book.higgs", "--dry-run"] + flags, in: folder)
        #expect(result.stderr.contains("book.higgs: 3 lines, 2 to generate (1 of them after a line made anew, whose take is their context)"),
                "\(result.stderr)")
        #expect(result.stderr.contains("would generate line 5 (its ") && result.stderr.contains(" s take goes out of date: its context is made anew)"))
        result = try CLI.run(["render", "book.higgs", "--chapter", "Sea"] + flags, in: folder)
        #expect(result.status == 1)
        #expect(result.stderr == "higgs: \(file.path): no chapter 'Sea' (chapters: 0 Opening, 1 Harbour, 2 Town)\n")
        // A title as typed without its accents (or with others) is the chapter, as the studio's find takes it (pass 9, 15).
        result = try CLI.run(["render", "book.higgs", "--chapter", "HÂRBÖUR", "--dry-run"] + flags, in: folder)
        #expect(result.status == 0 && result.stderr.contains("chapter 1 (Harbour): 1 line"), "\(result.stderr)")
    }

    /// A line made anew puts the lines after it out of date once it has its new take (it is their context, and
    /// theirs the next lines'): one render makes them too, and leaves every line up to date. The lines before it
    /// keep their takes, and so do those after a scene change (their context starts there).
    @Test func oneRenderBringsTheLinesAfterAChangeUpToDate() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic), CastMember(name: "Bo", voice: .automatic)],
                              script: ["[Ann] One.", "[Bo] Two.", "[Ann] Three.", "[Bo] Four.", "[Ann] Five.", "# scene: none", "[Bo] Six."])
        project.settings.maxNewTokens = 30
        let file = folder.appendingPathComponent("chain.higgs")
        try ProjectFile.save(project, to: file)
        let flags = try ["--no-export", "--retries", "0"] + Self.engineFlags(in: folder)
        #expect(try CLI.run(["render", "chain.higgs"] + flags, in: folder).status == 0)
        func planner() -> DialoguePlanner { Self.planner(project, file: file, in: folder) }
        let firstKey = try #require(planner().plan(line: 0)?.key)
        let sixthKey = try #require(planner().plan(line: 6)?.key)

        // Line 2 said otherwise: its take is out of date; the lines after it are not, until it has a new one.
        project.pronunciations = [Pronunciation(word: "Two", sayAs: "Too")]
        try ProjectFile.save(project, to: file)
        #expect(planner().plan(line: 1)?.isCurrent == false && planner().plan(line: 2)?.isCurrent == true)
        let result = try CLI.run(["render", "chain.higgs"] + flags, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("chain.higgs: 6 lines, 4 to generate (3 of them after a line made anew, whose take is their context)"),
                "\(result.stderr)")
        for (n, line) in [2, 3, 4, 5].enumerated() {
            #expect(result.stderr.contains("line \(line) (\(n + 1)/4): ") && !result.stderr.contains("line \(line) (\(n + 1)/4): its take, kept"),
                    "\(result.stderr)")
        }
        #expect(!result.stderr.contains("line 7 ("))
        #expect([0, 1, 2, 3, 4, 6].allSatisfy { planner().plan(line: $0)?.isCurrent == true })
        #expect(planner().plan(line: 0)?.key == firstKey && planner().plan(line: 6)?.key == sixthKey)
    }

    /// `--dry-run` needs no model: it says which lines would be generated and which cannot be, writes nothing.
    /// Ctrl-C stops a render after the line being made: the takes made are kept, the export before is left
    /// whole (not replaced by a partial one), nothing is said to be left, and the next render goes on.
    @Test func aRenderStoppedWithCtrlCKeepsTheExportBefore() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One."])
        project.settings.maxNewTokens = 40
        let file = folder.appendingPathComponent("show.higgs")
        try ProjectFile.save(project, to: file)
        let flags = ["--model", model.path, "--audio-tokenizer", tokenizer.path, "--precision", "bf16",
                     "--voices", folder.path, "--scenes", folder.path]
        #expect(try CLI.run(["render", "show.higgs"] + flags, in: folder).status == 0)
        let wav = folder.appendingPathComponent("show.export/show.wav")
        let before = try Data(contentsOf: wav)

        // Lines enough that a busy machine cannot make them all before the Ctrl-C lands.
        project.script += (2...150).map { "[Ann] Line number \($0)." }
        try ProjectFile.save(project, to: file)
        let result = try CLI.run(["render", "show.higgs"] + flags, in: folder, interruptAt: "line 2 (1/149)")
        // A status of its own (128 + SIGINT, as a shell reports Ctrl-C), not a failed line's 1.
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("stopping after the lines being generated"))
        #expect(result.stderr.contains("stopped: not exported (show.export/ is as it was)"), "\(result.stderr)")
        let afterStop = try #require(result.stderr.components(separatedBy: "stopping after the lines being generated").last)
        #expect(!result.stderr.contains("exported to") && !afterStop.contains(" left\n"), "\(afterStop)")
        // The lines not begun, said once, and named in runs (explore pass 9, 8: a line each, then the list again).
        #expect(!result.stderr.contains("(stopped)\n") || result.stderr.contains("lines not generated (stopped): the next render makes them"))
        #expect(!result.stderr.contains(": not generated (stopped)"), "\(result.stderr)")
        #expect(result.stderr.contains("-150\n"), "\(result.stderr)")
        #expect(try Data(contentsOf: wav) == before)
        let again = try CLI.run(["render", "show.higgs", "--dry-run"] + flags, in: folder)
        let made = result.stderr.split(separator: "\n").filter { $0.contains(" s of audio in ") }.count
        #expect(made >= 1 && again.stderr.contains("150 lines, \(149 - made) to generate"), "\(again.stderr)")

        // SIGTERM (a supervisor, `timeout`, a CI job cancelled) stops it the same way, with its own status.
        let line = "line \(made + 2) (1/\(149 - made))"
        let stopped = try CLI.run(["render", "show.higgs"] + flags, in: folder, interruptAt: line, signal: SIGTERM)
        #expect(stopped.status == 143 && stopped.stderr.contains("stopped: not exported (show.export/ is as it was)"), "\(stopped.stderr)")
        #expect(try Data(contentsOf: wav) == before)
    }

    @Test func aDryRunSaysWhatWouldBeDone() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] Hello there.", "# chapter: One", "[Cy] Who am I?", "# tempo: 150%", "[Ann] Bye."])
        try ProjectFile.save(project, to: folder.appendingPathComponent("show.higgs"))
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        var result = try CLI.run(["render", "show.higgs", "--dry-run", "--model", folder.appendingPathComponent("nowhere").path,
                                  "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").map(String.init) == [
            "line 4: this note does nothing: a tempo is 0.75 to 1.33, or 75% to 133% (# tempo: 1.1)",
            "show.higgs: 3 lines, 3 to generate",
            "line 3: speaker 'Cy' is not in the cast (the studio's cast panel adds them; in the file, `Cy: auto` under `cast:`)",
            "would generate line 1: [Ann] Hello there.",
            "would generate line 5: [Ann] Bye.",
            "not generated: line 3",
        ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == before)
        result = try CLI.run(["render", "show.higgs", "--dry-run", "--chapter", "0", "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(result.status == 0 && result.stderr.contains("would generate line 1: ") && !result.stderr.contains("would generate line 5"))

        // A line longer than max-new-tokens lets a take be is said before it is made.
        var long = project
        long.script[0] = "[Ann] " + Array(repeating: "And then she walked on along the shore.", count: 40).joined(separator: " ")
        long.settings.maxNewTokens = 500
        try ProjectFile.save(long, to: folder.appendingPathComponent("show.higgs"))
        result = try CLI.run(["render", "show.higgs", "--dry-run", "--chapter", "0", "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(result.stderr.contains("line 1: about ") && result.stderr.contains(" s of speech, more than max-new-tokens (500) makes (20 s): "
                                                                                     + "its take would stop before its end; split the line"),
                "\(result.stderr)")
        #expect(!result.stderr.contains("line 5: about"))
    }

    /// A studio's edits not saved yet are not rendered, and the render says so: whether the studio is open now, or
    /// its changes wait in an autosave to be offered back. An autosave holding what the file holds is nothing to say.
    @Test func changesAStudioHasNotSavedAreSaid() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("show.higgs")
        let saved = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hello there."])
        try ProjectFile.save(saved, to: file)
        func render() throws -> CLI.Result {
            try CLI.run(["render", "show.higgs", "--dry-run", "--voices", folder.path, "--scenes", folder.path], in: folder)
        }
        var result = try render()
        #expect(result.status == 0 && !result.stderr.contains("not save"), "\(result.stderr)")
        try ProjectFile.autosave(saved, for: file)
        #expect(try !render().stderr.contains("not save"))

        var edited = saved
        edited.script.append("[Ann] A line typed and not saved.")
        try ProjectFile.autosave(edited, for: file)
        result = try render()
        #expect(result.status == 0 && result.stderr.split(separator: "\n").first.map(String.init) == "\(file.path): changes a studio did not "
                + "save are in .show.higgs.autosave; this renders the file as last saved (the studio offers them back when it opens the project)",
                "\(result.stderr)")
        #expect(result.stderr.contains("show.higgs: 1 line, 1 to generate") && !result.stderr.contains("not saved."))

        // A studio with the project open: this test's process stands for it in the project's open mark.
        OpenMark.mark(file)
        defer { OpenMark.clear(file) }
        result = try render()
        #expect(result.stderr.hasPrefix("\(file.path): a studio (process \(getpid())) has it open with changes not saved; this renders the file "
                + "as last saved (Ctrl-S in the studio saves them)\n"), "\(result.stderr)")
    }

    /// One render of a project at a time: a second refuses while the first runs (each would make every line and
    /// write its line records over the other's), as `takes --prune` does (it would remove takes made and not yet
    /// recorded). The lock is the first render's, held on `.NAME.higgs.render`; this test's process holds it here.
    @Test func aSecondRenderAndAPruneWaitForTheRenderRunning() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hello there."])
        project.settings.maxNewTokens = 30
        let file = folder.appendingPathComponent("show.higgs")
        try ProjectFile.save(project, to: file)
        let flags = ["--model", model.path, "--audio-tokenizer", tokenizer.path, "--precision", "bf16", "--voices", folder.path, "--scenes", folder.path]

        let lockFile = folder.appendingPathComponent(".show.higgs.render")
        let fd = open(lockFile.path, O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        _ = Array("\(getpid())\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var result = try CLI.run(["render", "show.higgs"] + flags, in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: \(file.path): another higgs render (process \(getpid())) is making its takes; "
                + "wait for it to end (two would each make every line)\n", "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("show.takes").path))
        // A dry run writes nothing, and goes on.
        #expect(try CLI.run(["render", "show.higgs", "--dry-run"] + flags, in: folder).status == 0)

        // The takes of a line rewritten since are of a line that is gone, but not pruned while a render runs.
        close(fd)
        #expect(try CLI.run(["render", "show.higgs"] + flags, in: folder).status == 0)
        #expect(!FileManager.default.fileExists(atPath: lockFile.path))
        project.script[0] = "[Ann] Hello again."
        try ProjectFile.save(project, to: file)
        let again = open(lockFile.path, O_RDWR | O_CREAT, 0o644)
        #expect(again >= 0 && flock(again, LOCK_EX | LOCK_NB) == 0)
        _ = Array("\(getpid())\n".utf8).withUnsafeBytes { write(again, $0.baseAddress, $0.count) }
        result = try CLI.run(["takes", "show.higgs", "--prune"], in: folder)
        #expect(result.status == 1 && result.stderr.hasSuffix("show.higgs is being rendered (higgs render, process \(getpid())): prune once it "
                + "has ended, since the takes it makes are recorded for their lines only as each is done\n"), "\(result.stderr)")
        close(again)
        // A lock file left by a render that died holds no lock: it stops nothing.
        result = try CLI.run(["takes", "show.higgs", "--prune"], in: folder)
        #expect(result.status == 0 && result.stdout.contains(", removed"), "\(result.stdout)")
    }

    /// A render with nothing new leaves the export as it is, its files' times too (make, rsync and backups see no
    /// change); a change to what the export is made of (a note, a take, a file gone) writes it again (seventh pass, D3).
    @Test func anExportWithNothingNewIsLeftAsItIs() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hello there.", "[Ann] Bye."])
        project.settings.maxNewTokens = 30
        let file = folder.appendingPathComponent("show.higgs")
        try ProjectFile.save(project, to: file)
        let flags = try Self.engineFlags(in: folder)
        #expect(try CLI.run(["render", "show.higgs"] + flags, in: folder).status == 0)
        let wav = folder.appendingPathComponent("show.export/show.wav")
        func modified() throws -> Date { try FileManager.default.attributesOfItem(atPath: wav.path)[.modificationDate] as! Date }
        let first = try modified()
        Thread.sleep(forTimeInterval: 1.1)

        var result = try CLI.run(["render", "show.higgs"] + flags, in: folder)
        #expect(result.status == 0 && result.stderr.contains("show.export/ is up to date: nothing has changed since it was exported"),
                "\(result.stderr)")
        #expect(try modified() == first)
        result = try CLI.run(["render", "show.higgs", "--export-only"] + flags, in: folder)
        let unchanged = try modified()
        #expect(result.status == 0 && result.stderr.contains("is up to date") && unchanged == first)

        // A pause between the lines: the export is made of something else now.
        project.script.insert("# pause: 1", at: 1)
        try ProjectFile.save(project, to: file)
        result = try CLI.run(["render", "show.higgs", "--export-only"] + flags, in: folder)
        let rewritten = try modified()
        #expect(result.status == 0 && result.stderr.contains("exported to ") && rewritten != first, "\(result.stderr)")
        // A file of the export removed by hand is written again.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("show.export/lines/001.wav"))
        result = try CLI.run(["render", "show.higgs", "--export-only"] + flags, in: folder)
        #expect(result.stderr.contains("exported to ") && FileManager.default.fileExists(atPath: folder.appendingPathComponent("show.export/lines/001.wav").path))
    }

    /// A setting this version does not read (a newer version's) is said once on stderr, naming the file, line and key,
    /// and the render goes on; the file is left as it is.
    @Test func aSettingThisVersionDoesNotReadIsSaidAndTheRenderGoesOn() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("show.higgs")
        let text = "cast:\n  Ann: auto\n\nsettings:\n  seed: 7\n  speed: 1.1\n\nscript:\n[Ann] Hello there.\n"
        try Data(text.utf8).write(to: file)
        let result = try CLI.run(["render", "show.higgs", "--dry-run", "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let told = result.stderr.split(separator: "\n").filter { $0.contains("unknown setting") }
        #expect(told.count == 1)
        #expect(told.first?.hasPrefix("higgs: ") == true && told.first?.hasSuffix(
            "show.higgs:6: unknown setting 'speed': this version does not use it and keeps it as written") == true, "\(result.stderr)")
        #expect(result.stderr.contains("would generate line 1: [Ann] Hello there."))
        #expect(try String(contentsOf: file, encoding: .utf8) == text)
    }

    /// A take that runs on to the runaway stop is generated again at once with a new seed (`--retries`); every take
    /// is kept, the last chosen; a line still cut at the end is named.
    @Test func aTakeCutAtItsLimitIsRetried() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let flags = try Self.engineFlags(in: folder)
        let (project, file) = try Self.oneWordLine(in: folder)
        let result = try CLI.run(["render", "cut.higgs", "--no-export", "--retries", "2"] + flags, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let planner = Self.planner(project, file: file, in: folder)
        let takes = planner.takes(line: 0)
        let last = try #require(takes.takes.last)
        // Retried while cut (a retry with a new seed could end by itself within the steps, which stops them).
        #expect(takes.takes.first?.ranOn == true && takes.takes.dropLast().allSatisfy(\.ranOn))
        #expect(takes.takes.count == (last.cut ? 3 : takes.takes.count) && (2...3).contains(takes.takes.count))
        #expect(takes.chosen == takes.takes.last?.key && planner.plan(line: 0)?.isCurrent == true)
        #expect(result.stderr.contains("cut at their limit (the model ran on past the words): line 1") == last.cut)
        #expect(try CLI.run(["render", "cut.higgs", "--retries", "11"], in: folder).status != 0)
    }

    /// A line an earlier render left cut at the runaway stop is named by every render after it, and made again only
    /// when `--retries` asks (a second plain render of an unchanged script makes nothing).
    @Test func aLaterRenderWithRetriesMakesTheCutLinesAgain() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let flags = try Self.engineFlags(in: folder)
        let (project, file) = try Self.oneWordLine(in: folder)
        var result = try CLI.run(["render", "cut.higgs", "--no-export", "--retries", "0"] + flags, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let planner = Self.planner(project, file: file, in: folder)
        let cut = try #require(planner.takes(line: 0).takes.first)
        #expect(planner.takes(line: 0).takes.count == 1 && cut.ranOn)  // the test model runs on with the line's own seed
        let named = "cut at their limit (the model ran on past the words): line 1 — listen to them; --retries N makes new takes of them"

        result = try CLI.run(["render", "cut.higgs", "--no-export"] + flags, in: folder)
        #expect(result.status == 0 && result.stderr.contains("cut.higgs: 1 line, 0 to generate\n"), "\(result.stderr)")
        #expect(result.stderr.contains(named) && Self.planner(project, file: file, in: folder).takes(line: 0).takes.count == 1)
        result = try CLI.run(["render", "cut.higgs", "--dry-run", "--retries", "1"] + flags, in: folder)
        #expect(result.stderr.contains("would generate line 1 (its \(String(format: "%.1f", cut.seconds)) s take was cut at the runaway stop): [Ann] Hello."),
                "\(result.stderr)")

        result = try CLI.run(["render", "cut.higgs", "--no-export", "--retries", "1"] + flags, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("1 line, 1 to generate (1 of them cut at the runaway stop before, made again for --retries)"))
        let takes = Self.planner(project, file: file, in: folder).takes(line: 0)
        let new = try #require(takes.takes.last)
        #expect(takes.takes.count == 2 && new.reseeded && new.seed != cut.seed && takes.chosen == new.key)
        #expect(result.stderr.contains(named) == new.ranOn)
    }

    /// A take stopped by the project's own `max-new-tokens`, below the runaway stop, is the writer's limit: it is
    /// kept as it is (not made again) and said to have stopped there, not to have run on.
    @Test func aTakeStoppedAtMaxNewTokensIsNotARunaway() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let flags = try Self.engineFlags(in: folder)
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hello there, at length."])
        project.settings.maxNewTokens = 12  // the delay pattern alone takes 8 steps: the take cannot end by itself
        let file = folder.appendingPathComponent("short.higgs")
        try ProjectFile.save(project, to: file)
        let result = try CLI.run(["render", "short.higgs", "--no-export", "--retries", "2"] + flags, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let takes = Self.planner(project, file: file, in: folder).takes(line: 0).takes
        #expect(takes.count == 1 && takes[0].cut && takes[0].atMaxNewTokens && !takes[0].ranOn)
        #expect(result.stderr.contains(", stopped at max-new-tokens"))
        #expect(result.stderr.contains("stopped at max-new-tokens (12) before the model ended them: line 1 — a higher max-new-tokens lets them end"))
        #expect(!result.stderr.contains("ran on"))
    }

    /// A bed whose sound file is not there stops the render before it generates anything (the export at the end
    /// would fail); a dry run names it; `--no-export` generates all the same.
    @Test func aMissingBedFileStopsTheRenderBeforeItGenerates() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["# bed: rain.wav -18 dB", "[Ann] Hello there."])
        try ProjectFile.save(project, to: folder.appendingPathComponent("show.higgs"))
        let flags = ["--model", folder.appendingPathComponent("nowhere").path, "--voices", folder.path, "--scenes", folder.path]
        let missing = "there is no sound file \(folder.path)/rain.wav (a bed's file is found from the project's folder)"
        var result = try CLI.run(["render", "show.higgs"] + flags, in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").map(String.init) == [
            "line 1: this note does nothing: \(missing)",
            "higgs: line 1, # bed: \(missing): the export would fail; add the file or change the note (--no-export generates without exporting)",
        ])
        result = try CLI.run(["render", "show.higgs", "--dry-run"] + flags, in: folder)
        #expect(result.stderr.hasPrefix("line 1: this note does nothing: \(missing)\n") && result.stderr.contains("would generate line 2"))
        // The dry run ends as the render would.
        #expect(result.status == 1 && result.stderr.hasSuffix("higgs: line 1, # bed: \(missing): the export would fail; add the file or "
                                                              + "change the note (--no-export generates without exporting)\n"), "\(result.stderr)")
        // Without the export the lines are generated (here the model is missing: that is what stops it).
        result = try CLI.run(["render", "show.higgs", "--no-export"] + flags, in: folder)
        #expect(result.status == 1 && result.stderr.contains("No model to generate with"))
        // With the file there, nothing is said of it.
        try WAVFile.write([Float](repeating: 0.1, count: 2400), sampleRate: 24000, to: folder.appendingPathComponent("rain.wav"))
        result = try CLI.run(["render", "show.higgs", "--dry-run"] + flags, in: folder)
        #expect(result.status == 0 && !result.stderr.contains("this note does nothing"), "\(result.stderr)")
    }

    /// A line holding one of the model's control tokens (pasted from elsewhere) is named with it and not generated;
    /// the lines around it are, and the render ends saying what was not.
    @Test func aLineHoldingAControlTokenIsNotGenerated() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] Hello.", "[Ann] Fine, thanks.<|eot_id|>", "[Ann] Bye."])
        project.settings.maxNewTokens = 12
        let file = folder.appendingPathComponent("tokens.higgs")
        try ProjectFile.save(project, to: file)
        let result = try CLI.run(["render", "tokens.higgs", "--no-export", "--retries", "0"] + Self.engineFlags(in: folder), in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("tokens.higgs: 3 lines, 3 to generate"), "\(result.stderr)")
        #expect(result.stderr.contains("line 2: the line holds the model's control token <|eot_id|>: it would end the turn there; remove it\n"))
        #expect(result.stderr.contains("line 1 (1/2): ") && result.stderr.contains("line 3 (2/2): "))
        #expect(result.stderr.contains("not generated: line 2\n"))
        let planner = Self.planner(project, file: file, in: folder)
        #expect(planner.plan(line: 0)?.take != nil && planner.plan(line: 2)?.take != nil)
        #expect(planner.plan(line: 1)?.take == nil && planner.takes(line: 1).takes.isEmpty)
    }

    /// A `# scene:` note that reads as a path is named as its lines' problem (a dry run, no model): it is not their
    /// description, and they are not generated with it.
    @Test func aSceneNoteThatIsAPathIsNamed() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "A quiet studio.\n".write(to: folder.appendingPathComponent("quiet_studio.txt"), atomically: true, encoding: .utf8)
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] Hello.", "# scene: ../k/Scenes/quiet_studio", "[Ann] Bye."])
        try ProjectFile.save(project, to: folder.appendingPathComponent("show.higgs"))
        let result = try CLI.run(["render", "show.higgs", "--dry-run", "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").map(String.init) == [
            "show.higgs: 2 lines, 2 to generate",
            "line 3: # scene: ../k/Scenes/quiet_studio is a path: a note names a scene of \(folder.path) (# scene: quiet_studio) "
                + "or describes one in words",
            "would generate line 1: [Ann] Hello.",
            "not generated: line 3",
        ])
    }

    /// A negative number is the flag's value, not a missing one: the check says what is wrong with it (the
    /// studio shares --threads with render).
    @Test func negativeNumbersAreReadAndRefused() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        var result = try CLI.run(["render", "x.higgs", "--retries", "-1"], in: folder)
        #expect(result.status == 64 && result.stderr.hasPrefix("Error: --retries must be 0 to 10, found -1\n"), "\(result.stderr)")
        result = try CLI.run(["render", "x.higgs", "--export-only", "--chapter", "1"], in: folder)
        #expect(result.status == 64 && result.stderr.hasPrefix("Error: --export-only exports every line with a take; --chapter chooses"))
        result = try CLI.run(["render", "x.higgs", "--threads", "-2"], in: folder)
        #expect(result.status == 64 && result.stderr.hasPrefix("Error: --threads must be at least 1\n"), "\(result.stderr)")
        result = try CLI.run(["studio", "--threads", "-2"], in: folder)
        #expect(result.status == 64 && result.stderr.hasPrefix("Error: --threads must be at least 1\n"), "\(result.stderr)")
    }

    @Test func aMissingProjectIsOneLineNamingIt() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try CLI.run(["render", "nowhere.higgs"], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("higgs: ") && result.stderr.contains("nowhere.higgs"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// With no take (the takes folder deleted), --export-only refuses as the studio's `e` does: the earlier
    /// export's audio stays, and the exit status says nothing was exported.
    @Test func anExportWithNoTakeKeepsTheEarlierExport() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (_, file) = try Self.oneWordLine(in: folder)
        let export = DialogueExport.folder(forProject: file)
        let earlier = ["cut.wav", "cut.txt", "lines/001.wav"]
        try FileManager.default.createDirectory(at: export.appendingPathComponent("lines"), withIntermediateDirectories: true)
        for name in earlier { try Data("earlier".utf8).write(to: export.appendingPathComponent(name)) }

        let result = try CLI.run(["render", "cut.higgs", "--export-only", "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("higgs: Not exported: no line has a take (cut.takes/ is missing); the previous export in \(export.path)/ is kept"),
                "\(result.stderr)")
        for name in earlier { #expect(try Data(contentsOf: export.appendingPathComponent(name)) == Data("earlier".utf8)) }

        // With no export before, the same: a render is its audio, and an export of none is no success.
        try FileManager.default.removeItem(at: export)
        var again = try CLI.run(["render", "cut.higgs", "--export-only", "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(again.status == 1 && again.stderr.hasSuffix("higgs: Not exported: no line has a take (cut.takes/ is missing)\n"), "\(again.stderr)")
        try Data().write(to: folder.appendingPathComponent("empty.higgs"))
        again = try CLI.run(["render", "empty.higgs", "--export-only", "--voices", folder.path, "--scenes", folder.path], in: folder)
        #expect(again.status == 1 && again.stderr.contains("Not exported: no line has a take"), "\(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["cut.higgs", "empty.higgs"])
    }

    /// The test checkpoints made in `folder`, as render's flags (bf16), with `folder` as the voices and scenes.
    static func engineFlags(in folder: URL) throws -> [String] {
        ["--model", try CheckpointFixtures.modelFolder(in: folder).path, "--audio-tokenizer", try CheckpointFixtures.audioTokenizer(in: folder).path,
         "--precision", "bf16", "--voices", folder.path, "--scenes", folder.path]
    }

    /// `cut.higgs` of one line, `[Ann] Hello.`: the random-weight model does not end a line by itself, so it runs
    /// to the runaway stop of a one-word line (5 s, 134 steps).
    static func oneWordLine(in folder: URL) throws -> (project: Project, file: URL) {
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hello."])
        let file = folder.appendingPathComponent("cut.higgs")
        try ProjectFile.save(project, to: file)
        return (project, file)
    }

    /// The studio's plan of `project`, saved as `file` in `folder`, with the takes render made for it.
    static func planner(_ project: Project, file: URL, in folder: URL) -> DialoguePlanner {
        DialoguePlanner(project: project, voices: VoiceLibrary(folder: folder), scenes: SceneLibrary(folder: folder),
                        takes: TakeStore(folder: TakeStore.folder(forProject: file)), fingerprints: ClipFingerprints())
    }
}
