import AudioIO
import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// A script written elsewhere names a speaker its cast lacks: the studio casts them as it opens it, as it casts
    /// a name typed in a line. `A` then counts the lines it queued apart from those that cannot be made as written
    /// (a scene that is not there), which fail at once.
    @Test func allSaysWhichLinesCannotBeMade() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Written by hand: Ghost is not in the cast, and the last line's scene is nowhere.
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                                     script: ["[Ann] One.", "[Ghost] Boo.", "# scene: moon_base", "[Ann] Three."]),
                             to: folder.appendingPathComponent("ghost.higgs"))
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(try Self.testModelFlags(in: folder) + ["--audio-device", "null", "ghost.higgs"] + Self.libraryFlags)
        try tmux.waitFor("Ghost cast") {
            $0.contains("Ghost joined the cast with automatic voices: the script names them and the cast did not") && $0.contains("2 speakers")
        }
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        try tmux.keys("A")
        try tmux.waitFor("the count") {
            $0.contains("Queued 2 lines; lines whose inputs did not change are taken from their takes; 1 line cannot be made as written (✗ says why).")
        }
        try tmux.waitFor("the line that cannot be made") { $0.contains("[Ann] Three.") && $0.contains("✗ no scene '") }
        // The cast grew: a change to save.
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to ghost.higgs") }
        try tmux.keys("y")
        try tmux.waitForShell()
        #expect(try ProjectFile.load(folder.appendingPathComponent("ghost.higgs")).cast.map(\.name) == ["Ann", "Ghost"])
    }

    /// The bottom row says what is wrong with the line under the cursor; cut short by a narrow window, it says so,
    /// and `!` says it whole (wrapped over the rows above).
    @Test func aLineHintCutShortIsSaidInFull() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["# scene: a_scene_whose_name_is_long_enough_to_need_more_than_one_row", "[Ann] One.", "# scene: none",
                                       "[Ann] " + Array(repeating: "And then she walked on along the shore.", count: 5).joined(separator: " "),
                                       "[Ann] Two."])
        project.settings.maxNewTokens = 100
        try ProjectFile.save(project, to: folder.appendingPathComponent("narrow.higgs"))
        let tmux = try TmuxSession(width: 80, height: 24, folder: folder)
        try tmux.launchStudio(try Self.testModelFlags(in: folder) + ["--audio-device", "null", "narrow.higgs"] + Self.libraryFlags)
        try tmux.waitFor("the script") { $0.contains("[Ann] One.") }
        try tmux.keys("j")
        try tmux.waitFor("the hint cut short") { $0.contains("line 2: no scene 'a_scene_whose") && $0.contains("(! shows all)") }
        #expect(try !tmux.screen().contains("(scenes: "))
        try tmux.keys("!")
        try tmux.waitFor("the whole hint, wrapped") {
            $0.contains("line 2: no scene 'a_scene_whose") && $0.contains("(scenes: ") && !$0.contains("(! shows all)")
        }
        // A line longer than max-new-tokens lets a take be says so before it is made.
        try tmux.keys("j", "j")
        try tmux.waitFor("the long line's hint") { $0.contains("line 4: about ") && $0.contains("(! shows all)") }
        // With nothing wrong, ! says where the line stands.
        try tmux.keys("j", "!")
        try tmux.waitFor("the line's state") { $0.contains("Line 5 has no take of its words yet: g makes one.") }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// "Play from here" over lines without takes says which it leaves out.
    @Test func playFromHereSaysWhichLinesItLeavesOut() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One.", "[Ann] Two.", "# a note", "[Ann] Three."])
        project.settings.maxNewTokens = 40
        try ProjectFile.save(project, to: folder.appendingPathComponent("p.higgs"))
        let tmux = try TmuxSession(width: 120, height: 24, folder: folder)
        try tmux.launchStudio(try Self.testModelFlags(in: folder) + ["--audio-device", "null", "p.higgs"] + Self.libraryFlags)
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        try tmux.keys("g")
        try tmux.waitFor("line 1's take") { $0.contains("One.") && ($0.contains("✓") || $0.contains("✂")) }
        try tmux.keys("P")
        try tmux.waitFor("the lines left out") { $0.contains("Lines 2, 4 have no take yet and are left out of what plays.") }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// The engine's pace is kept between sessions: opened again, the studio shows it before it has made a line, said
    /// as last time's (explore pass 5, C3: no estimate until a line of the session had been made).
    @Test func theLastSessionsPaceIsShownBeforeALineIsMade() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One.", "[Ann] Two."])
        project.settings.maxNewTokens = 40
        try ProjectFile.save(project, to: folder.appendingPathComponent("p.higgs"))
        let tmux = try TmuxSession(width: 200, height: 24, folder: folder)
        let flags = try Self.testModelFlags(in: folder) + ["--audio-device", "null", "p.higgs"] + Self.libraryFlags
        try tmux.launchStudio(flags)
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        #expect(try !tmux.screen().contains("frames/s"))
        try tmux.keys("g")
        try tmux.waitFor("this session's pace") { $0.contains(" frames/s (") && !$0.contains("last time") }
        try tmux.keys("C-q")
        try tmux.waitForShell()
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(".cache/higgs-studio/pace.json").path))

        try tmux.launchStudio(flags)
        try tmux.waitFor("the last session's pace") { $0.contains("· bf16 ·") && $0.contains("· last time ") && $0.contains(" frames/s (") }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// A line that failed on something mended since (its scene note, its speaker's voice) no longer shows the failure;
    /// `g` would say it again where it still holds (explore pass 6, B4: the mark and its words outlived a recast).
    @Test func aFailureGoesWhenWhatItFailedOnIsMended() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Amy", voice: .clip("amy_nowhere"))],
                              script: ["# scene: moon_base", "[Amy] One."])
        project.settings.maxNewTokens = 40
        let tmux = try Self.studioWithEngine(on: project, named: "f.higgs", in: folder)
        func row(_ screen: String) -> Substring? { screen.split(separator: "\n").first { $0.contains("▌ [Amy] One.") } }
        try tmux.keys("j", "g")
        try tmux.waitFor("the failure") { row($0)?.contains("✗") == true }
        // The scene note mended: the line fails on its voice now, as g says.
        try tmux.keys("k", "Enter")
        for _ in 0..<9 { try tmux.keys("BSpace") }
        try tmux.type("none")
        try tmux.keys("Escape")
        try tmux.waitFor("the scene's failure gone") { row($0).map { !$0.contains("✗") && !$0.contains("no scene") } ?? false }
        try tmux.keys("j", "g")
        try tmux.waitFor("the voice's failure") { row($0)?.contains("✗") == true }
        // Recast with the first voice the list offers: the failure goes with the change of the cast.
        try tmux.keys("Tab", "Enter")
        try tmux.waitFor("the voice list") { $0.contains("Voice for Amy") }
        try tmux.keys("Home", "Enter")
        try tmux.waitFor("the voice's failure gone") { !$0.contains("Voice for Amy") && row($0).map { !$0.contains("✗") } ?? false }
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save changes to f.higgs") }
        try tmux.keys("n")
        try tmux.waitForShell()
    }

    /// The voice list reads each clip through, as `higgs voices list` does: one that would fail is marked, with why,
    /// before it is cast (explore pass 6, C2: only a failed `g` told).
    @Test func theVoiceListMarksAClipThatWouldFail() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let voicesFolder = folder.appendingPathComponent("Voices")
        try FileManager.default.createDirectory(at: voicesFolder, withIntermediateDirectories: true)
        let tone = (0..<5 * 24_000).map { Float(sin(Double($0) * 0.05)) * 0.3 }
        try WAVFile.write(tone, sampleRate: 24_000, to: voicesFolder.appendingPathComponent("good.wav"))
        let whole = try Data(contentsOf: voicesFolder.appendingPathComponent("good.wav"))
        try whole.prefix(30).write(to: voicesFolder.appendingPathComponent("cut.wav"))  // its header cut short
        for name in ["good", "cut"] { try Data("Hello there.".utf8).write(to: voicesFolder.appendingPathComponent("\(name).txt")) }
        try ProjectFile.save(Project(cast: [CastMember(name: "Amy", voice: .automatic)], script: ["[Amy] One."]),
                             to: folder.appendingPathComponent("v.higgs"))
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(["--voices", voicesFolder.path, "--scenes", folder.path, "--audio-device", "null", "v.higgs"])
        try tmux.waitFor("the project") { $0.contains("[Amy] One.") }
        try tmux.keys("Tab", "Enter")
        let list = try tmux.waitFor("the voice list") { $0.contains("Voice for Amy") && $0.contains("good") && $0.contains("cut") }
        let rows = list.split(separator: "\n")
        #expect(rows.contains { $0.contains("! cut") && $0.contains("cut.wav") }, "\(list)")
        #expect(rows.contains { $0.contains("good") && $0.contains("clip 5.0 s: Hello there.") && !$0.contains("!") }, "\(list)")
        try tmux.keys("Escape", "C-q")
        try tmux.waitForShell()
    }

    /// With playback off (the device did not open), an audition, made only to be heard, is not generated.
    @Test func noAuditionIsMadeWithPlaybackOff() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "higgs_no_such_device"])
        try tmux.waitFor("playback off") { $0.contains("audio device 'higgs_no_such_device'") }
        try tmux.keys("Tab", "l")
        try tmux.waitFor("the audition refused") {
            $0.contains("Playback is off (the audio device did not open): an audition would be heard by nobody.")
        }
        #expect(try !tmux.screen().contains("Auditioning"))
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// Recording from ALSA's null device ends at once in silence: said as the device, not as a muted microphone.
    @Test func aRecordingFromTheNullDeviceSaysSo() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(Self.libraryFlags + ["--audio-device", "null"])
        try tmux.waitFor("the studio") { $0.contains("audio: null") }
        try tmux.keys("Tab", "Enter")
        try tmux.waitFor("the voice list") { $0.contains("Voice for Mara") && $0.contains("record a clip…") }
        try tmux.keys("End", "Up", "Enter")
        try tmux.waitFor("the recorder") { $0.contains("Enter start recording (from null)") }
        try tmux.keys("Enter")
        try tmux.waitFor("the silence said") { $0.contains("the device is null, which records nothing") }
        try tmux.keys("Escape")
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// The quit question says which lines stop with it, and follows them while it is open: once they are made, it no
    /// longer says so (explore pass 6, C5: it kept the words it was opened with). They are made meanwhile: under an open
    /// dialog, the next line waited for the document the main loop publishes.
    @Test func theQuitQuestionFollowsTheLinesBeingMade() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: (1...8).map { "[Ann] Line \($0)." })
        // Long enough to be caught being made (the lines run to their limit, and are made again once as cut).
        project.settings.maxNewTokens = 1500
        let tmux = try Self.studioWithEngine(on: project, named: "q.higgs", in: folder)
        try tmux.keys("Enter")
        try tmux.type(" More.")
        try tmux.keys("Escape", "A")
        try tmux.waitFor("the lines queued") { $0.contains("Queued 8 lines") }
        try tmux.keys("C-q")
        try tmux.waitFor("the question, with the lines that stop") { $0.contains("Save changes to q.higgs") && $0.contains("being made") }
        try tmux.waitFor("the question, once they are made", timeout: 60) {
            $0.contains("Save changes to q.higgs") && !$0.contains("being made") && !$0.contains("queued line")
        }
        try tmux.keys("n")
        try tmux.waitForShell()
    }
}
