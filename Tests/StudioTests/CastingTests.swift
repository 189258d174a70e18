import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

@Suite struct CastingTests {
    static let library = VoiceLibrary(clips: ["en_man"], profiles: [.init(name: "warm_host", description: "A warm voice.")])

    /// `# ...` lines are the writer's notes: no speaker, no tags, no plan; the speaker of the line before
    /// goes on past them, and the lines around them are each other's context as if the note were not there.
    @Test func notesSayNothing() throws {
        let note = ScriptLine("  # Act two: [laugh] at [Theo]", cast: ["Theo"])
        #expect(note.isNote && note.saysNothing && note.speaker == nil && note.spans.isEmpty)
        #expect(!ScriptLine("[Theo] #1 fan").isNote && !ScriptLine("").isNote && ScriptLine(" ").saysNothing)

        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        let project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["[Theo] One.", "# the [big] reveal", "still Theo", "#", "[Mara] Two."])
        let planner = DialoguePlanner(project: project, voices: Self.library, scenes: SceneLibrary(scenes: []), takes: store,
                                      fingerprints: ClipFingerprints())
        #expect(planner.casting.lineSpeakers == [1, nil, 1, nil, 0])
        #expect(planner.casting.speakerTags == ["SPEAKER0", "SPEAKER1"])
        #expect(planner.plan(line: 1) == nil && planner.plan(line: 3) == nil)
        #expect(planner.saysNothing(line: 1) && !planner.saysNothing(line: 2))
        for line in [0, 2] {
            try planner.keepTake([0.5], line: line)
        }
        let last = try #require(planner.plan(line: 4))
        #expect(last.context.map(\.transcript) == ["[SPEAKER1] One.", "[SPEAKER1] still Theo"])
    }

    /// `# scene: ...` notes change the scene of the lines after them (a name from Scenes/, text of its own,
    /// none); a scene that is not there is those lines' problem; context does not reach across a change.
    @Test func sceneNotesChangeTheSceneOfTheLinesAfter() throws {
        #expect(ScriptLine("# Scene: market").sceneChange == .named("market"))
        #expect(ScriptLine("#scene: A windy beach at dawn.").sceneChange == .inline("A windy beach at dawn."))
        #expect(ScriptLine("# scene: none").sceneChange == SceneChoice.none && ScriptLine("# scene:").sceneChange == SceneChoice.none)
        #expect(ScriptLine("# the scene: later").sceneChange == nil && ScriptLine("[Mara] # scene: x").sceneChange == nil)

        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        let scenes = SceneLibrary(scenes: [.init(name: "studio", text: "A quiet studio."), .init(name: "market", text: "A busy market.")])
        let project = Project(scene: .named("studio"), cast: [CastMember(name: "Mara", voice: .automatic)],
                              script: ["[Mara] One.", "# scene: market", "[Mara] Two.", "# a note", "[Mara] Three.",
                                       "# scene: A windy beach at dawn.", "[Mara] Four.", "# scene: none", "[Mara] Five.",
                                       "# scene: nowhere", "[Mara] Six."])
        let planner = DialoguePlanner(project: project, voices: Self.library, scenes: scenes, takes: store,
                                      fingerprints: ClipFingerprints())
        let scenesOfLines = [0, 2, 4, 6, 8].map { planner.plan(line: $0)?.request?.scene }
        #expect(scenesOfLines == ["A quiet studio.", "A busy market.", "A busy market.", "A windy beach at dawn.", nil])
        let last = try #require(planner.plan(line: 10))
        #expect(last.request == nil && last.problem?.hasPrefix("no scene 'nowhere' in ") == true)

        for line in [0, 2] {
            try planner.keepTake([0.5], line: line)
        }
        #expect(planner.plan(line: 2)?.context.isEmpty == true)
        #expect(planner.plan(line: 4)?.context.map(\.transcript) == ["[SPEAKER0] Two."])
        // The same words in another scene are another take.
        let sameWords = Project(scene: .named("market"), cast: project.cast, script: ["[Mara] One."])
        let other = DialoguePlanner(project: sameWords, voices: Self.library, scenes: scenes, takes: store, fingerprints: ClipFingerprints())
        #expect(other.plan(line: 0)?.key != planner.plan(line: 0)?.key)
    }

    @Test func namesMapToTagsAndUntaggedLinesContinue() {
        let project = Project(cast: [CastMember(name: "Mara", voice: .profile("warm_host")),
                                     CastMember(name: "Theo", voice: .clip("en_man"))],
                              script: ["[Theo] One.", "still Theo", "", "[Mara]  Two.", "[SPEAKER3] Three.", "and three"])
        let casting = Casting(project: project, voices: Self.library)
        #expect(casting.lineSpeakers == [1, 1, nil, 0, 3, 3])
        #expect(casting.voices == [VoiceSlot.profile("warm_host"), .clip("en_man"), .automatic, .automatic])
        #expect(casting.speakerTags == ["SPEAKER0", "SPEAKER1", "SPEAKER3"])
        #expect(casting.transcript(line: 0, project: project) == "[SPEAKER1] One.")
        #expect(casting.transcript(line: 1, project: project) == "[SPEAKER1] still Theo")
        #expect(casting.transcript(line: 3, project: project) == "[SPEAKER0] Two.")
        #expect((0..<6).allSatisfy { casting.problem(line: $0) == nil })

        // The words as Foundation trims them (tabs, every Unicode space, the zero-width space), which the
        // take keys of lines written before have been made from.
        let spaced = ["\t one \u{3000}", "\u{00A0}two\u{2009}three\u{202F}", "\u{200B}four ", " \t ", "[Theo]\t\u{2003}five\t"]
        let spacedProject = Project(cast: project.cast, script: spaced)
        let spacedCasting = Casting(project: spacedProject, voices: Self.library)
        for (i, text) in spaced.enumerated() where i < 4 {
            #expect(spacedCasting.transcript(line: i, project: spacedProject) == text.trimmingCharacters(in: .whitespaces))
        }
        #expect(spacedCasting.transcript(line: 4, project: spacedProject) == "[SPEAKER1] five")
    }

    @Test func tagsSortAsTheReferenceSortsThem() {
        let project = Project(script: ["[SPEAKER10] a", "[SPEAKER2] b", "[SPEAKER1] c"])
        #expect(Casting(project: project, voices: Self.library).speakerTags == ["SPEAKER1", "SPEAKER10", "SPEAKER2"])
    }

    @Test func unknownSpeakerIsAnErrorNamingThem() {
        let project = Project(cast: [CastMember(name: "Mara", voice: .automatic)], script: ["[Mara] a", "[Marra] b", "c"])
        let casting = Casting(project: project, voices: Self.library)
        #expect(casting.problem(line: 1) == "speaker 'Marra' is not in the cast (the studio's cast panel adds them; in the file, `Marra: auto` under `cast:`)")
        #expect(casting.problem(line: 0) == nil)
        #expect(casting.lineSpeakers == [0, nil, 0])
    }

    @Test func aNewNameIsANewcomerAndANearNameALikelyTypo() {
        let cast = ["Mara", "Theo", "Ines"]
        #expect(UncastSpeaker(in: "[Ann] Hello.", cast: cast) == .newcomer("Ann"))
        #expect(UncastSpeaker(in: "[Sara] Hello.", cast: cast) == .newcomer("Sara"))  // another letter: a name
        #expect(UncastSpeaker(in: "[Mra] Hi.", cast: cast) == .likelyTypo("Mra", of: "Mara"))
        #expect(UncastSpeaker(in: "[Marra] Hi.", cast: cast) == .likelyTypo("Marra", of: "Mara"))
        #expect(UncastSpeaker(in: "[Maar] Hi.", cast: cast) == .likelyTypo("Maar", of: "Mara"))
        #expect(UncastSpeaker(in: "[theo] Hi.", cast: cast) == .likelyTypo("theo", of: "Theo"))
        // An accent left out or added is asked about too (Inés for Ines, Zoe for Zoë), as `/` finds either.
        #expect(UncastSpeaker(in: "[Inés] Hi.", cast: cast) == .likelyTypo("Inés", of: "Ines"))
        #expect(UncastSpeaker(in: "[Zoe] Hi.", cast: ["Zoë"]) == .likelyTypo("Zoe", of: "Zoë"))
        #expect(UncastSpeaker(in: "[Tim] Hi.", cast: ["Tom"]) == .newcomer("Tim"))
        // A prompt tag mistyped is asked about, not cast (sixth pass, B7).
        #expect(UncastSpeaker(in: "[SPEKAER1] Hi.", cast: cast) == .likelyTypo("SPEKAER1", of: "SPEAKER1"))
        #expect(UncastSpeaker(in: "[speaker2] Hi.", cast: cast) == .likelyTypo("speaker2", of: "SPEAKER2"))
        #expect(UncastSpeaker(in: "[Speaker 3] Hi.", cast: cast) == .likelyTypo("Speaker 3", of: "SPEAKER3"))
        #expect(UncastSpeaker(in: "[Speakers] Hi.", cast: cast) == .newcomer("Speakers"))
        #expect(UncastSpeaker(in: "[Agent 47] Hi.", cast: cast) == .newcomer("Agent 47"))
        // A name too long for a cast is said, with the limit (explore pass 8, C2), not left uncast in silence.
        let long = "Detective Inspector John Rebus Jr"
        let why = "speaker name '\(long)' is longer than 32 characters, the most a cast name has: shorten it"
        #expect(UncastSpeaker(in: "[\(long)] Hi.", cast: cast) == .unusable(long, problem: why))
        #expect(UncastSpeaker(in: "[\(String(long.prefix(32)))] Hi.", cast: cast) == .newcomer(String(long.prefix(32))))
        let casting = Casting(project: Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[\(long)] Hi."]),
                              voices: VoiceLibrary(clips: [], profiles: []))
        #expect(casting.lineProblems == [0: why])
        #expect(UncastSpeaker(in: "[老王] 你好。", cast: cast) == .newcomer("老王"))
        // Nothing to cast: a cast name, a prompt tag, an event, no tag, a tag later in the line, a bad name (a long
        // one is said, above).
        for text in ["[Mara] Hi.", "[SPEAKER4] Hi.", "[laugh] Ha.", "Hi.", "", "So [Ann] said.", "[ Ann] Hi."] {
            #expect(UncastSpeaker(in: text, cast: cast) == nil, "\(text)")
        }
        #expect(UncastSpeaker(in: "[Ann] Hi.", cast: []) == .newcomer("Ann"))
    }

    /// The names a script gives that its cast lacks, first use first, each once; a likely typo of a cast member's
    /// name is not one (the studio asks about it instead).
    @Test func aScriptsUncastNamesAreItsNewcomers() {
        let project = Project(cast: [CastMember(name: "Mara", voice: .automatic)],
                              script: ["[Ann] a", "[Mra] b", "[Ann] c", "# [Zed] a note", "[Bo] d", "plain", "[SPEAKER3] x", "[Mara] e"])
        #expect(project.uncastNewcomers == ["Ann", "Bo"])
        #expect(Project(script: ["Just text."]).uncastNewcomers.isEmpty)
    }

    /// A name added or renamed to may not be another's in other capitals or accents: the two would read as one.
    @Test func aNameDifferingOnlyInCapitalsOrAccentsIsTaken() {
        let cast = ["Mara", "Zoë", "Theo"]
        #expect(CastNames.lookAlike(of: "mara", among: cast) == "Mara")
        #expect(CastNames.lookAlike(of: "MARA", among: cast) == "Mara")
        #expect(CastNames.lookAlike(of: "Zoe", among: cast) == "Zoë")
        #expect(CastNames.lookAlike(of: "Mara", among: cast) == "Mara")
        #expect(CastNames.lookAlike(of: "Marah", among: cast) == nil && CastNames.lookAlike(of: "Tim", among: cast) == nil)
    }

    @Test func unknownVoicesAreErrorsNamingThem() {
        let folder = URL(fileURLWithPath: "/voices")
        let library = VoiceLibrary(clips: ["en_man"], profiles: [.init(name: "warm_host", description: "d")], folder: folder)
        let project = Project(cast: [CastMember(name: "A", voice: .profile("cold_host")), CastMember(name: "B", voice: .clip("belinda"))],
                              script: ["[A] x", "[B] y"])
        let casting = Casting(project: project, voices: library)
        #expect(casting.voiceProblems[0] == "speaker 'A': no profile 'cold_host' in /voices/profile.yaml (profiles: warm_host)")
        #expect(casting.voiceProblems[1] == "speaker 'B': no voice clip 'belinda' in /voices (a clip needs belinda.wav and belinda.txt)")
        // Every voice is in every line's prompt: a bad voice stops all lines. A line says what is wrong with its own
        // speaker's voice first, and another's as another's.
        #expect(casting.problem(line: 0) == casting.voiceProblems[0])
        #expect(casting.problem(line: 1) == casting.voiceProblems[1])
        let fine = Project(cast: [CastMember(name: "A", voice: .profile("cold_host")), CastMember(name: "C", voice: .automatic)],
                           script: ["[A] x", "[C] y"])
        #expect(Casting(project: fine, voices: library).problem(line: 1)
                == "A's voice, which every line's prompt holds: no profile 'cold_host' in /voices/profile.yaml (profiles: warm_host)")
    }

    @Test func shippedVoicesAndScenesLoad() throws {
        let root = Fixtures.testsFolder.deletingLastPathComponent()
        let voices = VoiceLibrary(folder: root.appendingPathComponent("Voices"))
        #expect(voices.problems.isEmpty, "\(voices.problems)")
        #expect(voices.profiles.count >= 10)
        #expect(voices.profile(named: "warm_host")?.description.hasSuffix("very clear audio.") == true)
        let sample = SampleProject.project
        for member in sample.cast { #expect(voices.problem(with: member.voice) == nil, "\(member.name)") }
        let scenes = SceneLibrary(folder: root.appendingPathComponent("Scenes"))
        #expect(scenes.scenes.count >= 6)
        #expect(try scenes.text(for: sample.scene)?.isEmpty == false)
        #expect(throws: StudioError.self) { try scenes.text(for: .named("moon_base")) }
    }

    /// A scene file that is there but cannot be a scene (not UTF-8, no text) is not offered, and a script naming
    /// it is told what is wrong with the file rather than that there is no such scene.
    @Test func aSceneFileThatDoesNotReadIsSaid() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "A quiet room.\n".write(to: folder.appendingPathComponent("room.txt"), atomically: true, encoding: .utf8)
        try Data([0xFF, 0xFE, 0x41, 0x00, 0xC3]).write(to: folder.appendingPathComponent("wide.txt"))
        try "  \n\n".write(to: folder.appendingPathComponent("blank.txt"), atomically: true, encoding: .utf8)
        let scenes = SceneLibrary(folder: folder)
        #expect(scenes.scenes.map(\.name) == ["room"])
        #expect(throws: StudioError("\(folder.path)/wide.txt: not UTF-8 text (save it as UTF-8)")) { try scenes.text(for: .named("wide")) }
        #expect(throws: StudioError("\(folder.path)/blank.txt: holds no text (a scene describes where the voices are)")) {
            try scenes.text(for: .named("blank"))
        }
        #expect(throws: PromptError.self) { try scenes.resolve("wide") }
        #expect(try scenes.text(for: .named("room")) == "A quiet room.")
    }

    @Test func clipFolderLayout() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["amy.wav", "amy.txt", "bob.wav", "notes.txt", "profile.yaml"] {
            let text = name == "profile.yaml" ? "profiles:\n  calm: A calm voice.\n  quick: >-\n    A quick\n    voice.\n" : "Hi there.\n"
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let library = VoiceLibrary(folder: folder)
        #expect(library.clips == ["amy"])
        #expect(library.profiles.map(\.name) == ["calm", "quick"])
        #expect(library.profiles[1].description == "A quick voice.")
        #expect(library.problems.count == 1 && library.problems[0].contains("bob.wav has no transcript bob.txt"))
        #expect(try library.clipTranscript("amy") == "Hi there.")
        #expect(library.slots == [VoiceSlot.automatic, .profile("calm"), .profile("quick"), .clip("amy")])
    }

    /// A clip called `auto` (made by hand) is not offered: cast, it would reopen as the automatic voice.
    @Test func aClipCalledAutoIsAProblemNotAVoice() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["auto.wav", "auto.txt", "amy.wav", "amy.txt"] {
            try "Hi there.\n".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let library = VoiceLibrary(folder: folder)
        #expect(library.clips == ["amy"])
        #expect(library.problems == ["\(folder.appendingPathComponent("auto").path).wav: 'auto' cannot name a clip voice: "
            + "in a cast, auto is the automatic voice (rename auto.wav and auto.txt)"])
        #expect(VoiceSlot.clipNameProblem("amy") == nil && VoiceSlot.clipNameProblem("none") == nil)
    }

    /// A bad entry is named with its line, and the good ones around it are still voices.
    @Test func oneBadProfileDoesNotHideTheOthers() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("profile.yaml")
        try "profiles:\n  good_one: A calm voice.\n  \"has space\": x\n  dup: one\n  listed: [x]\n  dup: two\n  last: A loud voice.\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let library = VoiceLibrary(folder: folder)
        #expect(library.profiles == [.init(name: "good_one", description: "A calm voice."), .init(name: "dup", description: "two"),
                                     .init(name: "last", description: "A loud voice.")])
        #expect(library.problems == [
            "\(file.path):3: profile name 'has space' is not a plain name (letters, digits, _, - and .)",
            "\(file.path):5: profile 'listed' needs a text description",
            "\(file.path):6: profile 'dup' is given twice; the last one is used",
        ])
        #expect(library.problem(with: .profile("good_one")) == nil)
        // Added to, it is not: the writer fixes it first.
        #expect(throws: StudioError.self) { try library.addProfile(named: "new", description: "New.") }
    }

    /// The engine opens NAME.wav and NAME.txt: files named otherwise are named as problems, not listed or
    /// silently left out; hidden files are not voices.
    @Test func misnamedClipFilesAreProblems() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["amy.wav", "amy.TXT", "Bob.Wav", "Bob.txt", "two words.wav", "two words.txt", ".hidden.wav", "cy.wav", "cy.txt"] {
            try "Hi there.\n".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let library = VoiceLibrary(folder: folder)
        func path(_ file: String) -> String { folder.appendingPathComponent(file).path }
        #expect(library.clips == ["cy"])
        #expect(library.problems == [
            "\(path("Bob.Wav")): a clip's audio must end in lower-case .wav (rename it Bob.wav)",
            "\(path("amy.wav")) has no transcript amy.txt (amy.TXT must end in lower-case .txt)",
            "\(path("two words.wav")): 'two words' cannot name a voice: use letters, digits, _, - and . (rename it and its .txt)",
        ])
    }

    @Test func badProfileFiles() {
        #expect(throws: PromptError.self) { try VoiceLibrary.parseProfiles("voices:\n  a: b\n") }
        #expect(throws: PromptError.self) { try VoiceLibrary.parseProfiles("profiles: [1, 2]\n") }
        #expect(throws: PromptError.self) { try VoiceLibrary.parseProfiles("profiles:\n  a: [x]\n") }
        #expect(throws: PromptError.self) { try VoiceLibrary.parseProfiles("profiles:\n  a: \"unterminated\n") }
    }

    @Test func voiceSlotsReadAndWrite() {
        for slot in [VoiceSlot.automatic, .clip("en_man"), .profile("warm_host")] {
            #expect(VoiceSlot(written: slot.description) == slot)
        }
        #expect(VoiceSlot(written: "two words") == nil)
        #expect(VoiceSlot(written: "profile: spaced ") == .profile("spaced"))
    }
}
