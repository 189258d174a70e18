import Foundation
import Studio
import TestSupport
import Testing

/// A `settings:` key this version does not read (a newer version's setting) does not stop the file opening: it is
/// told once as a warning, kept as written, and written back where it was.
@Suite struct UnknownSettingsTests {
    /// A newer version's file: `speed` after temperature (line 6), `voice-style` at the end, `from-the-future`
    /// before every known setting, `draft` with no value.
    static let newerFile = """
        cast:
          Ann: auto

        settings:
          temperature: 0.7
          speed: 1.1
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
          voice-style: warm, slow: late night

        script:
        [Ann] Hi.

        """

    @Test func aFileWithAnUnknownSettingOpensAndKeepsIt() throws {
        let parsed = try ProjectFormat.read(Self.newerFile, file: "show.higgs")
        #expect(parsed.project.settings.temperature == 0.7)
        #expect(parsed.project.cast == [CastMember(name: "Ann", voice: .automatic)])
        #expect(parsed.project.script == ["[Ann] Hi."])
        #expect(parsed.project.unknownSettings == [
            UnknownSetting(key: "speed", value: "1.1", after: "temperature"),
            UnknownSetting(key: "voice-style", value: "warm, slow: late night", after: "fit-cues"),
        ])
    }

    @Test func theWarningNamesTheFileTheLineAndTheKeyOnOneLine() throws {
        let parsed = try ProjectFormat.read(Self.newerFile, file: "show.higgs")
        #expect(parsed.warnings.count == 1)
        let warning = try #require(parsed.warnings.first)
        #expect(warning.line == 6)
        #expect(warning.description
            == "show.higgs:6: unknown settings 'speed', 'voice-style' (line 21): this version does not use them and keeps them as written")

        let one = try ProjectFormat.read("settings:\n  seed: 7\n  bogus: 1\nscript:\n", file: "x.higgs")
        #expect(one.warnings.map(\.description) == ["x.higgs:3: unknown setting 'bogus': this version does not use it and keeps it as written"])
        #expect(one.project.settings.seed == 7)
        // A file this version reads whole has nothing to tell.
        #expect(try ProjectFormat.read(SampleProject.text, file: "sample").warnings.isEmpty)
    }

    /// Printing writes each kept setting back after the known one it followed, value as written: the settings
    /// block of a canonical file comes back byte for byte.
    @Test func printWritesThemBackWhereTheyWere() throws {
        let first = Self.newerFile.replacingOccurrences(of: "settings:\n", with: "settings:\n  from-the-future: yes\n  draft:\n")
        for text in [Self.newerFile, first] {
            let project = try ProjectFormat.parse(text, file: "show.higgs")
            #expect(ProjectFormat.print(project) == text)
            #expect(try ProjectFormat.parse(ProjectFormat.print(project), file: "show.higgs") == project)
        }
        let parsed = try ProjectFormat.parse(first, file: "show.higgs")
        #expect(parsed.unknownSettings.prefix(2) == [UnknownSetting(key: "from-the-future", value: "yes"),
                                                    UnknownSetting(key: "draft", value: "")])
    }

    /// One made by a program, after a setting this version does not have, is not lost: it goes last.
    @Test func oneAfterNoSettingOfThisVersionGoesLast() throws {
        let project = Project(unknownSettings: [UnknownSetting(key: "pitch", value: "low", after: "speed")])
        let text = ProjectFormat.print(project)
        #expect(text.contains("  fit-cues: off\n  pitch: low\n\nscript:\n"))
        #expect(try ProjectFormat.parse(text, file: "x.higgs").unknownSettings == [UnknownSetting(key: "pitch", value: "low", after: "fit-cues")])
    }

    /// Saved by this version after an edit of a known setting, the file differs in that setting's line alone.
    @Test func aSaveKeepsThemThroughAnEdit() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("show.higgs")
        try Data(Self.newerFile.utf8).write(to: url)
        let read = try ProjectFile.load(url)
        var editor = ScriptEditor(lines: read.script, header: read)
        editor.editHeader { $0.settings.temperature = 0.5 }
        var project = editor.header
        project.script = editor.texts
        try ProjectFile.save(project, to: url)
        let saved = try String(contentsOf: url, encoding: .utf8)
        #expect(saved == Self.newerFile.replacingOccurrences(of: "temperature: 0.7\n", with: "temperature: 0.5\n"))

        // Undo brings back the project as read, kept settings and all.
        let undone = editor.undo()
        #expect(undone)
        #expect(editor.header.unknownSettings == read.unknownSettings && editor.header.settings == read.settings)
    }

    /// The kept settings are part of the file's content: a project without them is another project.
    @Test func theyArePartOfTheProject() throws {
        let with = try ProjectFormat.parse(Self.newerFile, file: "show.higgs")
        var without = with
        without.unknownSettings = []
        #expect(with != without)
        #expect(try ProjectFormat.parse(ProjectFormat.print(without), file: "show.higgs").unknownSettings.isEmpty)
    }

    /// What a known setting cannot be is still an error, at its line, whatever unknown settings are around it.
    @Test(arguments: [
        ("settings:\n  speed: 2\n  temperature: hot\nscript:\n", 3, "temperature must be a number >= 0"),
        ("settings:\n  top-p: 1.5\n  speed: 2\nscript:\n", 2, "top-p must be a number in (0, 1]"),
        ("settings:\n  speed: 1\n  speed: 2\nscript:\n", 3, "'speed' appears twice in 'settings:'"),
        ("settings:\n  : 2\nscript:\n", 2, "a setting needs a name before ':'"),
    ] as [(String, Int, String)])
    func aKnownSettingThatDoesNotReadIsStillAnError(text: String, line: Int, problem: String) {
        #expect {
            _ = try ProjectFormat.read(text, file: "show.higgs")
        } throws: { error in
            guard let error = error as? ProjectError else { return false }
            return error.line == line && error.problem.contains(problem) && error.description.hasPrefix("show.higgs:\(line): ")
        }
    }
}
