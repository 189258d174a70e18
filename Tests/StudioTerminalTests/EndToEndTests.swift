import AudioIO
import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// The real `higgs` binary in a tmux pane (tmux provides the terminal; CI installs it with `.ci/run`).
@Suite(.serialized, .enabled(if: TmuxSession.available, "needs tmux (CI installs it)"))
struct EndToEndTests {
    static let repository = Fixtures.testsFolder.deletingLastPathComponent()
    static let libraryFlags = ["--voices", repository.appendingPathComponent("Voices").path,
                               "--scenes", repository.appendingPathComponent("Scenes").path]

    @Test func editSaveResizeAndQuitWithUnsavedChanges() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 80, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null"])

        // The sample project, its wide characters drawn in place, the engine's absence explained.
        var screen = try tmux.waitFor("the sample script") { $0.contains("[Lin] 我最喜欢外婆做的葱油饼，又香又脆。") }
        #expect(screen.contains("untitled.higgs"))
        #expect(screen.contains("engine: no model here — g offers to download it"))
        #expect(screen.split(separator: "\n").allSatisfy { DisplayWidth.of($0) <= 80 })

        // Edit the last line: append wide characters.
        try tmux.keys(">", "Enter")
        try tmux.type(" 再见 👋")
        try tmux.keys("Escape")
        screen = try tmux.waitFor("the edited line") { $0.contains("[Theo] Don't worry, I'll make you toast. 再见 👋") && !$0.contains("✎") }
        #expect(screen.contains("untitled.higgs ●"))

        // Finding a line by its text: / asks, n and N go on, wrapping around the script.
        try tmux.keys("<", "/")
        try tmux.waitFor("the find prompt") { $0.contains("Find (Enter") }
        try tmux.type("TOAST")
        try tmux.keys("Enter")
        try tmux.waitFor("the first toast") { $0.contains("“TOAST”: line 3, 1 of 3.") }
        try tmux.keys("N")
        try tmux.waitFor("the last toast, backwards") { $0.contains("“TOAST”: line 7, 3 of 3 (wrapped around).") }
        try tmux.keys("n")
        try tmux.waitFor("the first toast again") { $0.contains("“TOAST”: line 3, 1 of 3 (wrapped around).") }
        try tmux.keys(">")

        // The generation key offers to download the model; declined, it says why nothing is generated, and
        // where the model was looked for.
        try tmux.keys("g")
        try tmux.waitFor("the offer to download") { $0.contains("No model to generate with here. Download") }
        try tmux.keys("n")
        screen = try tmux.waitFor("the no-model message") { $0.contains("No model to generate with:") }
        #expect(screen.contains(folder.appendingPathComponent("models").path) || screen.contains("~/models"))

        // Save under a new name.
        try tmux.keys("C-s")
        try tmux.waitFor("the save-as prompt") { $0.contains("Save as:") }
        try tmux.keys("C-u")
        try tmux.type("show")
        try tmux.keys("Enter")
        try tmux.waitFor("the saved message") { $0.contains("Saved ") && !$0.contains("show.higgs ●") }
        let file = folder.appendingPathComponent("show.higgs")
        let saved = try ProjectFile.load(file)
        #expect(saved.script.last == "[Theo] Don't worry, I'll make you toast. 再见 👋")
        #expect(try String(contentsOf: file, encoding: .utf8) == ProjectFormat.print(saved))
        #expect(!FileManager.default.fileExists(atPath: ProjectFile.autosaveURL(for: file).path))

        // Resize: wide enough for the cast and scene panels beside the script, then back to 80x24.
        try tmux.resize(width: 120, height: 32)
        // capture-pane can catch tmux half-way through the redraw, so the wait takes the whole frame.
        screen = try tmux.waitFor("the wide layout") { screen in
            screen.contains(" Cast ") && screen.contains(" Scene ") && screen.contains("profile:warm_host")
                && screen.split(separator: "\n").count == 32
        }
        #expect(screen.split(separator: "\n").count == 32)
        // Too small a window shows why and takes no keys but quitting: the x pressed in it deletes nothing.
        try tmux.resize(width: 50, height: 12)
        try tmux.waitFor("the too-small notice") { $0.contains("Higgs Studio needs at least") }
        try tmux.keys("x")
        try tmux.resize(width: 80, height: 24)
        screen = try tmux.waitFor("the narrow layout") { !$0.contains(" Cast ") && $0.contains(" Script ") }
        #expect(screen.contains("7 lines") && screen.contains("再见 👋"))
        #expect(screen.split(separator: "\n").allSatisfy { DisplayWidth.of($0) <= 80 })

        // The help screen lists the keys.
        try tmux.keys("F1")
        // (The whole frame: capture-pane can catch the box drawn but not yet its rows.)
        screen = try tmux.waitFor("the help screen") { $0.contains("Help") && $0.contains("Everywhere") && $0.contains("save the project") }
        #expect(screen.contains("Ctrl-S") && screen.contains("save the project"))
        // At its end, in 80 columns: what is longer than the box goes on beneath, nothing cut off.
        try tmux.keys("End")
        screen = try tmux.waitFor("the end of the help") { $0.contains("Project files are plain text") }
        #expect(screen.contains("│   under the lines after it;") && screen.contains("│   # bed: none ends it."))
        #expect(screen.contains("│   (lines/npc/greet.wav).") && screen.contains("│   cut at its limit"))
        try tmux.keys("Escape")
        try tmux.waitFor("the help screen to close") { !$0.contains("Everywhere") }

        // The voice list cuts long descriptions; the chosen one is shown whole beneath it.
        try tmux.keys("Tab", "Enter")
        try tmux.waitFor("the voice list") { $0.contains("Voice for Mara") && $0.contains("friendly smile in her tone") }
        try tmux.keys("Escape")
        try tmux.waitFor("the voice list to close") { !$0.contains("Voice for Mara") }

        // A speaker added in the cast panel, then undone: the panel's choice comes back onto the cast.
        try tmux.keys("a")
        try tmux.waitFor("the name prompt") { $0.contains("New speaker's name:") }
        try tmux.type("Zed")
        try tmux.keys("Enter")
        try tmux.waitFor("Zed's voice list") { $0.contains("Voice for Zed") }
        try tmux.keys("Enter")
        try tmux.waitFor("Zed in the cast") { $0.contains("5 speakers") && !$0.contains("Voice for Zed") }
        try tmux.keys("C-z")
        try tmux.waitFor("Zed undone") { $0.contains("4 speakers") && $0.contains("Undone (Ctrl-Y redoes).") }
        // A name another speaker has in other capitals is taken.
        try tmux.keys("a")
        try tmux.waitFor("the name prompt") { $0.contains("New speaker's name:") }
        try tmux.type("mara")
        try tmux.keys("Enter")
        // Refused, the name is asked for again as typed (nothing typed is lost to a refusal).
        try tmux.waitFor("the look-alike refused, asked again") {
            $0.contains("Mara is already in the cast: mara beside Mara would read as one speaker.") && $0.contains("New speaker's name:")
        }
        try tmux.type("2")
        try tmux.keys("Enter")
        try tmux.waitFor("mara2's voice list") { $0.contains("Voice for mara2") }
        try tmux.keys("Escape")
        try tmux.waitFor("mara2 in the cast") { $0.contains("5 speakers") && !$0.contains("Voice for mara2") }
        try tmux.keys("C-z")
        try tmux.waitFor("mara2 undone") { $0.contains("4 speakers") }
        try tmux.keys("Enter")
        try tmux.waitFor("the last speaker's voice list") { $0.contains("Voice for Lin") }
        try tmux.keys("Escape", "Escape")
        try tmux.waitFor("the voice list to close") { !$0.contains("Voice for Lin") }

        // A line naming someone new casts them as the writer leaves it; a name one slip from a cast
        // member's is asked about instead.
        // Two lines written in one go (Enter splits, as a paste does): each newcomer joins as their line is left.
        try tmux.keys("o", "C-u")
        try tmux.type("[Nell] Not to be kept.")
        try tmux.keys("Enter")
        try tmux.waitFor("the first newcomer") { $0.contains("Nell joins the cast with an automatic voice") && $0.contains("5 speakers") }
        try tmux.type("[Olga] Nor this.")
        try tmux.keys("Escape")
        try tmux.waitFor("the second newcomer") { $0.contains("Olga joins the cast") && $0.contains("6 speakers") }
        try tmux.keys("u")                                  // undo takes the cast back as it takes text back
        try tmux.waitFor("the newcomer undone") { $0.contains("5 speakers") && $0.contains("[Olga] Nor this.") }
        try tmux.keys("U")
        try tmux.waitFor("the newcomer redone") { $0.contains("6 speakers") }
        try tmux.keys("o", "C-u")
        try tmux.type("[Thoe] Nor this.")
        try tmux.keys("Up")
        try tmux.waitFor("the typo question") { $0.contains("'Thoe' is not in the cast: did you mean Theo?") && $0.contains("6 speakers") }

        // An unsaved change, then quit: the studio asks; cancel keeps it open; "no" discards.
        try tmux.keys("Escape", "o")
        try tmux.type("Not to be kept.")
        try tmux.keys("Escape")
        try tmux.waitFor("the new line") { $0.contains("Not to be kept.") && $0.contains("show.higgs ●") && !$0.contains("✎") }
        try tmux.waitUntil("the autosave") { FileManager.default.fileExists(atPath: ProjectFile.autosaveURL(for: file).path) }
        try tmux.keys("q")
        try tmux.waitFor("the quit question") { $0.contains("Save changes to show.higgs before quitting?") }
        try tmux.keys("c")
        try tmux.waitFor("the question to close") { !$0.contains("before quitting?") && $0.contains("Not to be kept.") }
        try tmux.keys("q")
        try tmux.waitFor("the quit question again") { $0.contains("before quitting?") }
        try tmux.keys("n")
        try tmux.waitForShell()
        #expect(try ProjectFile.load(file) == saved)
        #expect(!FileManager.default.fileExists(atPath: ProjectFile.autosaveURL(for: file).path))
    }

    /// Pasted text is text, never keys: a transcript pasted in the script becomes turns below the cursor,
    /// its new speakers cast, in one undo step; pasted into a line it is typed there; into a prompt, one line.
    @Test func pastedTextIsTextNotCommands() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] First."]),
                             to: folder.appendingPathComponent("paste.higgs"))
        let tmux = try TmuxSession(width: 100, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "paste.higgs"])
        try tmux.waitFor("the script") { $0.contains("[Ann] First.") }

        // Full of command keys (x deletes a line, q quits, D duplicates): none of them runs.
        try tmux.paste("Ann: Quite extraordinary, really.\nBob: Do quit it, Ann.\nAnn: xxx D q")
        let screen = try tmux.waitFor("the pasted turns") { $0.contains("Pasted 3 lines; Bob joined the cast") }
        #expect(screen.contains("[Ann] Quite extraordinary, really.") && screen.contains("[Bob] Do quit it, Ann.")
            && screen.contains("[Ann] xxx D q") && screen.contains("[Ann] First."))
        try tmux.keys("u")
        try tmux.waitFor("the paste and the casting undone") { !$0.contains("Quite extraordinary") && $0.contains("· 1 speaker ·") }

        // Into the line being written: at the cursor, a line break making a new line.
        try tmux.keys("Enter")
        try tmux.paste(" Then\n[Ann] Second.")
        try tmux.keys("Escape")
        try tmux.waitFor("the line pasted into") { $0.contains("[Ann] First. Then") && $0.contains("[Ann] Second.") }

        // Into the find prompt: one line.
        try tmux.keys("<", "/")
        try tmux.waitFor("the find prompt") { $0.contains("Find (Enter") }
        try tmux.paste("sec\nond")
        try tmux.waitFor("the pasted query") { $0.contains("sec ond") }
        try tmux.keys("C-u")
        try tmux.paste("Second")
        try tmux.keys("Enter")
        try tmux.waitFor("the line found") { $0.contains("“Second”: line 2") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(folder.appendingPathComponent("paste.higgs")).script == ["[Ann] First. Then", "[Ann] Second."])
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// Ctrl-O opens another project in place of this one: unsaved changes asked about first, a new name
    /// starts a project (here with the first one's cast) that saves without asking for a name, the first
    /// opens again as saved.
    @Test func anotherProjectOpensInPlace() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("one.higgs")
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] First project."]), to: first)
        let tmux = try TmuxSession(width: 100, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "one.higgs"])
        try tmux.waitFor("the first project") { $0.contains("[Ann] First project.") }
        try tmux.keys("Enter", "End")
        try tmux.type(" Edited.")
        try tmux.keys("Escape", "C-o")
        try tmux.waitFor("the open prompt") { $0.contains("Open a project") }
        try tmux.type("two")
        try tmux.keys("Enter")
        try tmux.waitFor("the question of the cast") { $0.contains("Start two.higgs with one.higgs's cast, scene, settings") }
        try tmux.keys("y")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to one.higgs before opening two.higgs?") }
        try tmux.keys("y")
        try tmux.waitFor("the new project") { $0.contains("two.higgs") && $0.contains("A new project, two.higgs") }
        #expect(try ProjectFile.load(first).script == ["[Ann] First project. Edited."])
        try tmux.keys("Enter")
        try tmux.type("Second project.")
        try tmux.keys("Escape", "C-s")
        try tmux.waitFor("the save") { $0.contains("Saved \(folder.appendingPathComponent("two.higgs").path)") }
        let second = try ProjectFile.load(folder.appendingPathComponent("two.higgs"))
        #expect(second.script == ["Second project."] && second.cast == [CastMember(name: "Ann", voice: .automatic)])
        try tmux.keys("C-o")
        try tmux.waitFor("the open prompt") { $0.contains("Open a project") }
        try tmux.type("one.higgs")
        try tmux.keys("Enter")
        try tmux.waitFor("the first project again") { $0.contains("[Ann] First project. Edited.") && $0.contains("Opened ") }
        // A file written elsewhere, naming a speaker its cast lacks: cast as it opens.
        try ProjectFile.save(Project(script: ["[Cy] Written elsewhere."]), to: folder.appendingPathComponent("three.higgs"))
        try tmux.keys("C-o")
        try tmux.waitFor("the open prompt") { $0.contains("Open a project") }
        try tmux.type("three.higgs")
        try tmux.keys("Enter")
        try tmux.waitFor("Cy cast") { $0.contains("Cy joined the cast with automatic voices") && $0.contains("1 speaker") }
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to three.higgs") }
        try tmux.keys("n")
        try tmux.waitForShell()
    }

    /// Notes in the script: not counted as lines, `}` and `{` go from one heading to the next, generating one says
    /// it has nothing to say. And the loudness, MP3 and audiobook settings, stepped in the settings dialog.
    @Test func notesAreHeadingsNotLines() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                                     script: ["# chapter: One", "[Ann] First.", "[Ann] Second.", "# scene: busy_cafe", "[Ann] Third.",
                                              "# at: 1:02.5 --> 1:04", "[Ann] Fourth."]),
                             to: folder.appendingPathComponent("notes.higgs"))
        let tmux = try TmuxSession(width: 100, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "notes.higgs"])
        try tmux.waitFor("the script") { $0.contains("· 1 speaker · 4 lines") }
        try tmux.keys("}")
        try tmux.waitFor("the scene note") { $0.contains("›  4  # scene: busy_cafe") }
        try tmux.keys("g")
        try tmux.waitFor("the note's answer") { $0.contains("Nothing to generate: a blank line or a note") }
        // A line's setting (`# at:`, `# pause:`...) is no heading: `}` passes it (explore pass 9, 10: a book has a pause
        // every few lines).
        try tmux.keys("}")
        try tmux.waitFor("no heading below") { $0.contains("No heading below") && $0.contains("›  4  # scene: busy_cafe") }
        try tmux.keys("{", "{")
        try tmux.waitFor("the chapter note") { $0.contains("›  1  # chapter: One") }
        // The lines without a take, one after another, past the notes.
        try tmux.keys(")", ")", ")")
        try tmux.waitFor("the third line") { $0.contains("›  5▌ [Ann] Third.") }
        // A line with a cue says so under the script.
        try tmux.keys(")")
        try tmux.waitFor("the cue's line") { $0.contains("›  7▌ [Ann] Fourth.") && $0.contains("at 00:01:02.500 --> 00:01:04.000 (1.5 s)") }
        try tmux.keys(")")
        try tmux.waitFor("none below") { $0.contains("No line below is still to make.") }
        try tmux.keys("(")
        try tmux.waitFor("the line above without a take") { $0.contains("›  5▌ [Ann] Third.") }

        // The loudness setting: off, then the podcast level, then a step.
        try tmux.keys(",", "End", "Up", "Up", "Up", "Up", "Right")
        try tmux.waitFor("the loudness on") { $0.contains("loudness        -16.0") }
        // The MP3 bitrate below it: off, then 128 kbit/s, then the next bitrate up.
        try tmux.keys("Right", "Down", "Right", "Right")
        try tmux.waitFor("the mp3 bitrate") { $0.contains("mp3             160") }
        try tmux.keys("Down", "Right")
        try tmux.waitFor("the audiobook on") { $0.contains("audiobook       on") }
        try tmux.keys("Escape", "C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        let settings = try ProjectFile.load(folder.appendingPathComponent("notes.higgs")).settings
        #expect(settings.loudness == -15 && settings.mp3 == 160 && settings.audiobook)
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// A note that means to act and cannot (a gain that does not read, a scene that is not one) says so under the script.
    @Test func aNoteThatDoesNothingSaysWhy() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                                     script: ["[Ann] First.", "# gain: loud", "[Ann] Second.", "# bed: rain.wav",
                                              "# scene: ../Scenes/quiet_studio", "[Ann] Third."]),
                             to: folder.appendingPathComponent("notes.higgs"))
        let tmux = try TmuxSession(width: 100, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "notes.higgs"])
        try tmux.waitFor("the script") { $0.contains("· 1 speaker · 3 lines") }
        try tmux.keys("j")
        try tmux.waitFor("why the note does nothing") {
            $0.contains("line 2: this note does nothing: a gain is -40 to +12 dB (# gain: -6 dB)")
        }
        // A bed whose file is not beside the project is said as it is written, not at the export.
        try tmux.keys("j", "j")
        try tmux.waitFor("the missing bed") { $0.contains("line 4: this note does nothing: there is no sound file ") }
        // A scene note that reads as a path is not taken as the scene's description: said at the note and its lines.
        try tmux.keys("j")
        try tmux.waitFor("the scene note's slip") { $0.contains("line 5: # scene: ../Scenes/quiet_studio is a path: a note names a scene of ") }
        try tmux.keys("j")
        try tmux.waitFor("its line's problem") { $0.contains("line 6: # scene: ../Scenes/quiet_studio is a path: a note names a scene of ") }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// An audiobook's thousands of lines: the numbers widen to fit the last, and a count moves far.
    @Test func aLongScriptNumbersEveryLine() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                                     script: (1...1_200).map { "[Ann] Sentence \($0)." }),
                             to: folder.appendingPathComponent("book.higgs"))
        let tmux = try TmuxSession(width: 100, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "book.higgs"])
        try tmux.waitFor("the first lines, in four columns") { $0.contains("›   1▌ [Ann] Sentence 1.") && $0.contains("    2▌ [Ann] Sentence 2.") }
        try tmux.keys("9", "9", "9")
        try tmux.waitFor("the count's hint") { $0.contains("999…  then r for that many") }
        try tmux.keys("j")
        // The hint goes with the count it was for.
        try tmux.waitFor("line 1,000") { $0.contains("›1000▌ [Ann] Sentence 1000.") && !$0.contains("then r for that many") }
        try tmux.keys(">")
        try tmux.waitFor("the last line") { $0.contains("›1200▌ [Ann] Sentence 1200.") && $0.contains(" 1199▌ [Ann] Sentence 1199.") }
        // A line by its number, as vi's 300G (explore pass 9, 10: it generated from the line instead), or 300<.
        try tmux.keys("3", "0", "0", "G")
        try tmux.waitFor("line 300") { $0.contains("› 300▌ [Ann] Sentence 300.") && $0.contains("Line 300 of 1200.") }
        #expect(try !tmux.screen().contains("Queued"))
        try tmux.keys("7", "<")
        try tmux.waitFor("line 7") { $0.contains("›   7▌ [Ann] Sentence 7.") }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// `W`: a word said otherwise than written. The list offers the line's name, the respelling is asked,
    /// the line shows what the model is given; the file keeps it; Ctrl-Z takes it back.
    @Test func pronunciationsRespellWhatIsSaid() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("names.higgs")
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                                     script: ["[Ann] Well. Siobhan is here, Siobhan.", "[Ann] Nobody else."]), to: file)
        let tmux = try TmuxSession(width: 100, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "names.higgs"])
        try tmux.waitFor("the script") { $0.contains("· 1 speaker · 2 lines") }
        try tmux.keys("W")
        try tmux.waitFor("the empty list") { $0.contains("Pronunciations") && $0.contains("new word…") }
        try tmux.keys("Enter")
        try tmux.waitFor("the word offered") { $0.contains("Word or name, as written") && $0.contains("Siobhan ") }
        try tmux.keys("Enter")
        try tmux.waitFor("the respelling asked") { $0.contains("Say “Siobhan” as") }
        try tmux.keys("C-u")
        try tmux.type("Shiv-awn")
        try tmux.keys("Enter")
        try tmux.waitFor("the entry listed") { $0.contains("said “Shiv-awn” · in 1 line") && $0.contains("1 line to generate again") }
        // l would speak the line as it will be said; without a model, the list says why not.
        try tmux.keys("Up", "l")
        try tmux.waitFor("the reason it cannot be heard") { $0.contains("No model to generate with") }
        try tmux.keys("Escape")
        try tmux.waitFor("what the line says", timeout: 20) { $0.contains("said: Well. Shiv-awn is here, Shiv-awn.  (W: pronunciations)") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).pronunciations == [Pronunciation(word: "Siobhan", sayAs: "Shiv-awn")])
        #expect(try ProjectFile.load(file).script[0] == "[Ann] Well. Siobhan is here, Siobhan.")
        try tmux.keys("C-z", "C-s")
        try tmux.waitFor("the second save") { $0.contains("Saved ") && !$0.contains("names.higgs ●") }
        try tmux.waitUntil("the file without it") { (try? ProjectFile.load(file).pronunciations.isEmpty) == true }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// `R`: a text replaced in every line, after saying how many; the speaker tags stay; Ctrl-Z undoes it.
    @Test func replaceInEveryLine() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("toast.higgs")
        let script = ["[Toast] Toast and toast.", "[Ann] More TOAST, Toast."]
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic), CastMember(name: "Toast", voice: .automatic)],
                                     script: script), to: file)
        let tmux = try TmuxSession(width: 100, height: 24, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null", "toast.higgs"])
        try tmux.waitFor("the script") { $0.contains("· 2 speakers · 2 lines") }
        #expect(OpenMark.holder(of: file) != nil)  // the studio's own process: `higgs takes --prune` asks it
        try tmux.keys("R")
        try tmux.waitFor("the replace prompt") { $0.contains("Replace (whole words, in every line") }
        try tmux.type("toast")
        try tmux.keys("Enter")
        try tmux.waitFor("the count") { $0.contains("Replace “toast” (4 times in 2 lines) with:") }
        try tmux.type("jam")  // replaces the text offered (selected)
        try tmux.keys("Enter")
        try tmux.waitFor("the replacement") { $0.contains("Replaced “toast” 4 times in 2 lines") && $0.contains("[Ann] More JAM, Jam.") }
        try tmux.keys("C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).script == ["[Toast] Jam and jam.", "[Ann] More JAM, Jam."])
        try tmux.keys("C-z", "C-s")
        try tmux.waitUntil("the file as it was") { (try? ProjectFile.load(file).script) == script }
        try tmux.keys("C-q")
        try tmux.waitForShell()
        #expect(!FileManager.default.fileExists(atPath: OpenMark.url(for: file).path))
    }
}
