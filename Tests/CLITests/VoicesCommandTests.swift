import AudioIO
import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// `higgs voices`: the folder listed, voices added to it as the studio adds them, refusals in one line.
@Suite struct VoicesCommandTests {
    @Test func addsAClipAndAProfileAndListsThem() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = (0..<36_000).map { 0.4 * sinf(Float($0) * 0.03) }
        try WAVFile.write(samples, sampleRate: 24_000, to: folder.appendingPathComponent("me.wav"))

        // Adding makes the folder, and says so.
        var result = try CLI.run(["voices", "add", "me", "--clip", "me.wav", "--transcript", "Hello, it is me.", "--voices", "V"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr == "added the clip me, 1.5 s (under 3 s: the model has little of the voice to copy; 5 to 20 s works best), "
                + "to \(folder.appendingPathComponent("V").path) (a new voices folder); cast a speaker as me\n", "\(result.stderr)")
        result = try CLI.run(["voices", "add", "calm", "--description", "A calm, low voice, very clear audio.", "--voices", "V"], in: folder)
        #expect(result.status == 0 && result.stderr == "added profile:calm to \(folder.appendingPathComponent("V/profile.yaml").path)\n")

        let library = VoiceLibrary(folder: folder.appendingPathComponent("V"))
        #expect(library.clips == ["me"] && library.profiles == [.init(name: "calm", description: "A calm, low voice, very clear audio.")])
        #expect(try Data(contentsOf: library.clipAudio("me")) == Data(contentsOf: folder.appendingPathComponent("me.wav")))

        result = try CLI.run(["voices", "list", "--voices", "V"], in: folder)
        #expect(result.stdout.split(separator: "\n").map(String.init) == [
            folder.appendingPathComponent("V").path,
            "  profile:calm  A calm, low voice, very clear audio.",
            "  me            clip, 1.5 s: “Hello, it is me.”",
            "  ! \(library.clipAudio("me").path): 1.5 s, under 3 s: the model has little of the voice to copy; 5 to 20 s works best",
        ])
    }

    /// A voice's text goes into every prompt with it: one holding a model control token is refused as it is added,
    /// and one put in the folder by hand is named in the list, a profile's as a clip's.
    @Test func aControlTokenInAVoiceIsRefusedAndListed() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WAVFile.write((0..<120_000).map { 0.4 * sinf(Float($0) * 0.03) }, sampleRate: 24_000, to: folder.appendingPathComponent("me.wav"))
        var result = try CLI.run(["voices", "add", "me", "--clip", "me.wav", "--transcript", "Hello <|audio_eos|> there.", "--voices", "V"],
                                 in: folder)
        #expect(result.status == 1 && result.stderr.contains("the transcript holds the model's control token <|audio_eos|>"), "\(result.stderr)")
        result = try CLI.run(["voices", "add", "warm", "--description", "A warm voice <|eot_id|> deep.", "--voices", "V"], in: folder)
        #expect(result.status == 1 && result.stderr.contains("the description holds the model's control token <|eot_id|>"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("V/me.wav").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("V/profile.yaml").path))

        // Written by hand.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("V"), withIntermediateDirectories: true)
        try "profiles:\n  warm: A warm voice <|eot_id|> deep.\n".write(to: folder.appendingPathComponent("V/profile.yaml"), atomically: true,
                                                                        encoding: .utf8)
        result = try CLI.run(["voices", "list", "--voices", "V"], in: folder)
        #expect(result.stdout.contains("  ! profile 'warm' in \(folder.appendingPathComponent("V/profile.yaml").path) holds the model's "
                                       + "control token <|eot_id|>: it would end the turn there; remove it"), "\(result.stdout)")
    }

    /// A library kept in one place for every project: the config file's `voices:` is used where the current folder
    /// has no `Voices/` of its own (the binary run from anywhere), and one there comes first.
    @Test func theConfigFileNamesTheVoicesFolder() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = folder.appendingPathComponent("library/Voices")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        try "profiles:\n  shared_host: A warm, low voice.\n".write(to: library.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent(".config/higgs-studio/config.yaml")  // HOME is the folder
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "voices: ~/library/Voices\n".write(to: config, atomically: true, encoding: .utf8)
        let project = folder.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        var result = try CLI.run(["voices"], in: project, environment: ["HOME": folder.path])
        #expect(result.status == 0 && result.stdout.contains("shared_host"), "\(result.stdout)")
        try FileManager.default.createDirectory(at: project.appendingPathComponent("Voices"), withIntermediateDirectories: true)
        result = try CLI.run(["voices"], in: project, environment: ["HOME": folder.path])
        #expect(result.status == 0 && !result.stdout.contains("shared_host"), "\(result.stdout)")
    }

    /// A folder that is not there is one line naming it, and a non-zero exit, not an empty list: a mistyped
    /// `--voices`, a file, or a config file's `voices:` that names no folder.
    @Test func aFolderThatIsNotThereIsAnError() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        var result = try CLI.run(["voices", "list", "--voices", "/nonexistent/Voices"], in: folder)
        #expect(result.status == 1 && result.stdout.isEmpty && result.stderr == "higgs: /nonexistent/Voices: no such voices folder\n",
                "\(result.stderr)")
        try "not a folder".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        result = try CLI.run(["voices", "--voices", "notes.txt"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: \(folder.appendingPathComponent("notes.txt").path): a file, not a voices folder\n")

        let config = folder.appendingPathComponent(".config/higgs-studio/config.yaml")  // HOME is the folder
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "voices: ~/library/Voices\n".write(to: config, atomically: true, encoding: .utf8)
        result = try CLI.run(["voices"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: \(folder.path)/library/Voices: no such voices folder (`voices:` in the config file)\n",
                "\(result.stderr)")
    }

    /// Without `Voices/` here or in the config file, the voices are those of the source tree the binary was built
    /// in, wherever the binary is: a copy of it elsewhere finds the same folder, and the list says why that one.
    @Test func aCopiedBinaryFindsTheSourceTreeItWasBuiltIn() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("bin/higgs")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.binary, to: copy)
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let tree = Fixtures.testsFolder.deletingLastPathComponent()

        let result = try CLI.run(["voices"], in: empty, binary: copy)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(tree.appendingPathComponent("Voices").path) (the source tree higgs was built in; "
                                        + "there is no Voices/ here and the config file names none)\n"), "\(result.stdout)")
        #expect(result.stdout.contains("  profile:warm_host "))
    }

    /// Every clip that would be a poor voice or none is named with the reason, not only the missing files.
    @Test func theListSaysWhatIsWrongWithEachClip() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        func tone(_ seconds: Double, rate: Int = 16_000) -> [Float] { (0..<Int(seconds * Double(rate))).map { 0.3 * sinf(Float($0) * 0.05) } }
        let files: [(String, [Float]?, String)] = [
            ("good", tone(6), "Hello there.\n"), ("UPPER", tone(6), "Shouted.\n"), ("notaudio", nil, "Hi.\n"),
            ("empty", tone(6), ""), ("multi", tone(6), "Line one.\nLine two.\n"), ("silent", [Float](repeating: 0, count: 96_000), "Hush.\n"),
            ("long", tone(31), "On and on.\n"), ("bad name", tone(6), "Hi.\n"), ("phone", tone(6, rate: 8_000), "Hello?\n"),
        ]
        for (name, samples, transcript) in files {
            let audio = folder.appendingPathComponent(name == "UPPER" ? "UPPER.WAV" : "\(name).wav")
            let rate = name == "phone" ? 8_000 : 16_000
            if let samples { try WAVFile.write(samples, sampleRate: rate, to: audio) } else { try Data("not audio, a few words".utf8).write(to: audio) }
            try transcript.write(to: folder.appendingPathComponent("\(name).txt"), atomically: true, encoding: .utf8)
        }
        let result = try CLI.run(["voices", "list", "--voices", "."], in: folder)
        func path(_ file: String) -> String { folder.appendingPathComponent(file).path }
        #expect(result.stdout.split(separator: "\n").map(String.init) == [
            folder.path,
            "  empty     clip, 6.0 s: “”",
            "  good      clip, 6.0 s: “Hello there.”",
            "  long      clip, 31.0 s: “On and on.”",
            "  multi     clip, 6.0 s: “Line one. Line two.”",
            "  notaudio  clip, unreadable WAV: “Hi.”",
            "  phone     clip, 6.0 s: “Hello?”",
            "  silent    clip, 6.0 s: “Hush.”",
            "  ! \(path("UPPER.WAV")): a clip's audio must end in lower-case .wav (rename it UPPER.wav)",
            "  ! \(path("bad name.wav")): 'bad name' cannot name a voice: use letters, digits, _, - and . (rename it and its .txt)",
            "  ! \(path("empty.txt")): empty; it holds what is said in the clip, which the model reads with it",
            "  ! \(path("long.wav")): 31.0 s, over 30 s: every prompt that uses it is long; 5 to 20 s is plenty",
            "  ! \(path("multi.txt")): 2 lines; a clip's transcript is one line (join them)",
            "  ! \(path("notaudio.wav")): not a RIFF file (starts with 'not '), expected a WAV file",
            "  ! \(path("phone.wav")): recorded at 8000 Hz: the voice is copied as muffled as it sounds; a recording at 16 kHz or more serves better",
            "  ! \(path("silent.wav")): holds no sound (nothing louder than -60 dBFS); a voice clip is someone speaking",
        ], "\(result.stdout)")
        // A report: its problems are in what it prints, and it exits 0 (a folder that is not there is an error).
        #expect(result.status == 0)
    }

    /// A name in wide letters (CJK takes two columns each) keeps the list's second column straight.
    @Test func wideNamesKeepTheColumnsAligned() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["明子", "mara"] {
            try WAVFile.write((0..<6 * 16_000).map { 0.3 * sinf(Float($0) * 0.05) }, sampleRate: 16_000, to: folder.appendingPathComponent("\(name).wav"))
            try "Hello.\n".write(to: folder.appendingPathComponent("\(name).txt"), atomically: true, encoding: .utf8)
        }
        let result = try CLI.run(["voices", "list", "--voices", "."], in: folder)
        #expect(result.stdout.split(separator: "\n").dropFirst().map(String.init) == [
            "  mara  clip, 6.0 s: “Hello.”",
            "  明子  clip, 6.0 s: “Hello.”",
        ], "\(result.stdout)")
    }

    /// A config file with a value that does not read is not used, and every command says so once, on stderr: one
    /// that reads only its folders too (it would otherwise say the config file names none).
    @Test func aConfigFileThatDoesNotReadIsSaidByEveryCommand() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("cfg/higgs-studio/config.yaml")
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "precision: q5\nvoices: \(folder.path)/V2\n".write(to: config, atomically: true, encoding: .utf8)
        try ProjectFile.save(Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hi."]),
                             to: folder.appendingPathComponent("a.higgs"))
        let said = "higgs: \(config.path): `precision:` must be bf16, q8 or q4, not 'q5'; the config file is not used"
        for command in [["voices", "list", "--voices", "."], ["render", "a.higgs", "--dry-run"], ["takes", "a.higgs"]] {
            let result = try CLI.run(command, in: folder, environment: ["XDG_CONFIG_HOME": folder.appendingPathComponent("cfg").path])
            #expect(result.stderr.components(separatedBy: said).count == 2, "\(command): \(result.stderr)")
        }
    }

    @Test func refusalsSayWhyInOneLine() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("RIFF junk".utf8).write(to: folder.appendingPathComponent("bad.wav"))
        var result = try CLI.run(["voices", "add", "x", "--clip", "bad.wav", "--transcript", "Hi.", "--voices", "V"], in: folder)
        #expect(result.status == 1 && result.stderr.hasPrefix("higgs: \(folder.appendingPathComponent("bad.wav").path): "))
        #expect(result.stderr.split(separator: "\n").count == 1)
        result = try CLI.run(["voices", "add", "x", "--clip", "bad.wav", "--voices", "V"], in: folder)
        #expect(result.status != 0 && result.stderr.contains("a clip needs --transcript"))
        result = try CLI.run(["voices", "add", "two words", "--description", "A voice.", "--voices", "V"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: 'two words' cannot name a voice: use letters, digits, _, - and . (not first)\n")
        result = try CLI.run(["voices", "add", "auto", "--clip", "bad.wav", "--transcript", "Hi.", "--voices", "V"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: 'auto' cannot name a clip voice: in a cast, auto is the automatic voice\n")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("V").path))
    }
}
