import Foundation
import Studio
import Testing

@Suite struct DocumentTests {
    @Test func sampleProjectIsCanonical() throws {
        let project = try ProjectFormat.parse(SampleProject.text, file: "sample")
        #expect(ProjectFormat.print(project) == SampleProject.text)
        #expect(project.scene == .named("late_night_radio"))
        #expect(project.cast.map(\.name) == ["Mara", "Theo", "Ines", "Lin"])
        #expect(project.cast[0].voice == .profile("warm_host"))
        #expect(project.settings.temperature == 0.7)
        #expect(project.script.count == 7)
        #expect(project.script[4] == "[Lin] 我最喜欢外婆做的葱油饼，又香又脆。")
    }

    @Test func printParseRoundTrip() throws {
        var settings = GenerationSettings()
        settings.temperature = 0
        settings.topK = 0
        settings.topP = 0.8
        settings.rasWindow = 0
        settings.seed = 18_446_744_073_709_551_615
        settings.chunkBuffer = 5
        settings.maxNewTokens = 512
        settings.gap = 1.25
        settings.loudness = -16.5
        settings.runawayStop = false
        settings.mp3 = 192
        settings.audiobook = true
        settings.trim = false
        settings.fitCues = 12
        let projects = [
            Project(),
            Project(scene: .inline("Line one of the scene.\n\n  indented line three"),
                    cast: [CastMember(name: "Dr Chen", voice: .clip("en_woman")), CastMember(name: "Ólafur", voice: .automatic)],
                    settings: settings,
                    pronunciations: [Pronunciation(word: "Siobhan", sayAs: "Shiv-awn"), Pronunciation(word: "gif", sayAs: "jif"),
                                     Pronunciation(word: "New Orleans", sayAs: "New Or-lins, Louisiana")],
                    script: ["[Dr Chen] Hello.", "", "spaces after   ", "no tag here", "[SPEAKER3] raw tag [laugh]", "scene: not a header"]),
            Project(scene: .named("busy_cafe"), cast: [], script: ["[SPEAKER0] 你好 👋🏽 héllo"]),
        ]
        for p in projects {
            let text = ProjectFormat.print(p)
            let back = try ProjectFormat.parse(text, file: "x.higgs")
            #expect(back == p)
            #expect(ProjectFormat.print(back) == text)
        }
    }

    @Test func canonicalTextIsExactlyThis() {
        let p = Project(scene: .inline("Rain on the window.\nA kettle."), cast: [CastMember(name: "Ann", voice: .profile("warm_host"))],
                        script: ["[Ann] Hi."])
        #expect(ProjectFormat.print(p) == """
            scene: |
              Rain on the window.
              A kettle.

            cast:
              Ann: profile:warm_host

            settings:
              temperature: 1.0
              top-k: 50
              top-p: 0.95
              ras-window: 7
              ras-repeats: 2
              seed: 42
              chunk-buffer: 2
              max-new-tokens: 2048
              gap: 0.4
              trim: on
              loudness: off
              mp3: off
              audiobook: off
              runaway-stop: on
              fit-cues: off

            script:
            [Ann] Hi.

            """)
    }

    @Test func lenientInputParses() throws {
        let text = "# notes\r\nsettings:\r\n  seed: 7\r\n  # a comment\r\n\r\ncast:\r\n  A: auto\r\nscene: A cosy room with a fire.\r\nscript:\r\n[A] Hi.\r\n"
        let p = try ProjectFormat.parse(text, file: "x")
        #expect(p.settings.seed == 7)
        #expect(p.cast == [CastMember(name: "A", voice: .automatic)])
        #expect(p.scene == .inline("A cosy room with a fire."))
        #expect(p.script == ["[A] Hi."])
        // Script lines indented as the sections are keep no indent (text typed at a line's start stays before its tag).
        let indented = try ProjectFormat.parse("cast:\n  A: auto\nscript:\n  [A] Hi.\n\t# chapter: Two\n    and on.\n", file: "x")
        #expect(indented.script == ["[A] Hi.", "# chapter: Two", "and on."])
        // An empty file (`touch new.higgs`) is a new project (explore pass 6, C4).
        #expect(try ProjectFormat.parse("", file: "x") == Project() && ProjectFormat.parse(" \n\n", file: "x") == Project())
    }

    /// Each malformed file gives `file:line: problem` at the right line.
    @Test(arguments: [
        ("cast:\n  Mara = warm_host\nscript:\n", 2, "expected `name: value`"),
        ("settings:\n  temperature: hot\nscript:\n", 2, "temperature must be a number >= 0"),
        ("settings:\n  top-p: 1.5\nscript:\n", 2, "top-p must be a number in (0, 1]"),
        ("settings:\n  seed: 1\n  seed: 2\nscript:\n", 3, "'seed' appears twice"),
        ("\n\nvoices:\n  a: b\nscript:\n", 3, "unknown section 'voices'"),
        ("cast:\n  A: auto\ncast:\n  B: auto\nscript:\n", 3, "second 'cast:' section"),
        ("cast:\n  [A]: auto\nscript:\n", 2, "contains '['"),
        ("cast:\n  SPEAKER1: auto\nscript:\n", 2, "is a prompt tag"),
        ("cast:\n  laugh: auto\nscript:\n", 2, "is an event tag"),
        ("cast:\n  A: profile:\nscript:\n", 2, "is not a voice"),
        ("cast:\n  A:\nscript:\n", 2, "has no voice"),
        ("scene:\nscript:\n", 1, "needs a name"),
        ("scene: |\nscript:\n", 1, "needs an indented block"),
        ("  indented\nscript:\n", 1, "indented line outside a section"),
        ("just words\nscript:\n", 1, "expected `section:`"),
        ("[Anna] Hello there.\n", 1, "found '[Anna] Hello there.'; a script written elsewhere becomes a project with `higgs import FILE`"),
        ("script: now\n", 1, "takes no value"),
        ("cast:\n  A: auto\n", 2, "no 'script:' section (the script follows a line `script:`); a script written elsewhere"),
        ("settings: 3\nscript:\n", 1, "takes indented entries"),
        ("settings:\n  gap: -1\nscript:\n", 2, "gap must be seconds >= 0"),
        ("settings:\n  loudness: 3\nscript:\n", 2, "loudness must be LUFS of each line in exports, -40 to -5"),
        ("settings:\n  runaway-stop: yes\nscript:\n", 2, "runaway-stop must be on (stop a take"),
        ("settings:\n  trim: 0.1\nscript:\n", 2, "trim must be on (cut the silence a take starts"),
        ("settings:\n  fit-cues: 30\nscript:\n", 2, "fit-cues must be percent, 1 to 25"),
        ("settings:\n  mp3: 150\nscript:\n", 2, "mp3 must be an MP3 bitrate (32, 40,"),
        ("pronounce:\n  Siobhan:\nscript:\n", 2, "'Siobhan' needs a way to say it"),
        ("pronounce:\n  [laugh]: ha\nscript:\n", 2, "contains '['"),
        ("pronounce:\n  GIF: [jif]\nscript:\n", 2, "how to say 'GIF' contains '['"),
        ("pronounce:\n  a: b\n  a: c\nscript:\n", 3, "'a' appears twice"),
        ("pronounce:\n  ...: dots\nscript:\n", 2, "has no letter or digit"),
    ] as [(String, Int, String)])
    func malformedFiles(text: String, line: Int, problem: String) {
        do {
            _ = try ProjectFormat.parse(text, file: "show.higgs")
            Issue.record("parsed: \(text.debugDescription)")
        } catch let error as ProjectError {
            #expect(error.line == line)
            #expect(error.problem.contains(problem), "\(error)")
            #expect(error.description.hasPrefix("show.higgs:\(line): "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func scriptLineTags() {
        let line = ScriptLine("[Mara] Oh! [laugh] That's [music start] a [sigh] tune.", cast: ["Theo", "Mara"])
        #expect(line.speaker == .name("Mara"))
        #expect(line.body == "Oh! [laugh] That's [music start] a [sigh] tune.")
        #expect(line.bodyOffset == 7)
        #expect(line.spans.map(\.kind) == [.speaker(index: 1), .event, .event, .unknown])
        #expect(line.spans.map(\.range) == [0..<6, 11..<18, 26..<39, 42..<48])
        #expect(line.spokenText == "Oh! That's a [sigh] tune.")

        let tagged = ScriptLine("  [SPEAKER12]   你好 [cough]")
        #expect(tagged.speaker == .tag(12))
        #expect(tagged.body == "你好 [cough]")
        #expect(tagged.spokenText == "你好")

        let untagged = ScriptLine("[laugh] Plain [unclosed")
        #expect(untagged.speaker == nil)
        #expect(untagged.spans.map(\.kind) == [.event])
        #expect(ScriptLine("   ").isBlank)
        #expect(ScriptLine("[Nobody] hi", cast: ["A"]).spans.first?.kind == .speaker(index: nil))

        // Places are in characters, whatever their bytes: accents, CJK, a family emoji of five scalars, a
        // flag of two; a bracket inside another pair opens the next tag.
        let wide = ScriptLine(" [Inès]  Voilà 你好 👩‍👩‍👧 [laugh] 🇫🇷 [[SPEAKER1] x", cast: ["Inès"])
        #expect(wide.speaker == .name("Inès") && wide.bodyOffset == 9)
        #expect(wide.body == "Voilà 你好 👩‍👩‍👧 [laugh] 🇫🇷 [[SPEAKER1] x")
        #expect(wide.spans.map(\.kind) == [.speaker(index: 0), .event, .speaker(index: 1)])
        #expect(wide.spans.map(\.range) == [1..<7, 20..<27, 31..<41])
        let chars = Array(wide.text)
        #expect(wide.spans.map { String(chars[$0.range]) } == ["[Inès]", "[laugh]", "[SPEAKER1]"])
        let note = ScriptLine("  # [Mara] said this")
        #expect(note.speaker == nil && note.spans.isEmpty && note.body == note.text)
    }
}
