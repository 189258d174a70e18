import AudioIO
import Foundation
import Prompt
import TestSupport
import Testing

/// `higgs voices`: the folder listed, voices added to it as the studio adds them, refusals in one line.
@Suite struct VoicesCommandTests {
    @Test func addsAClipAndAProfileAndListsThem() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = (0..<36_000).map { 0.4 * sinf(Float($0) * 0.03) }
        try WAVFile.write(samples, sampleRate: 24_000, to: folder.appendingPathComponent("me.wav"))

        var result = try CLI.run(["voices", "--voices", "V"], in: folder)
        #expect(result.status == 0 && result.stdout.contains("no voices (add one:"))
        #expect(result.stdout.contains("! \(folder.appendingPathComponent("V").path): no such voices folder"))

        result = try CLI.run(["voices", "add", "me", "--clip", "me.wav", "--transcript", "Hello, it is me.", "--voices", "V"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("added the clip me, 1.5 s (under 3 s: the model has little of the voice to copy; 5 to 20 s works best), to "))
        result = try CLI.run(["voices", "add", "calm", "--description", "A calm, low voice, very clear audio.", "--voices", "V"], in: folder)
        #expect(result.status == 0 && result.stderr.contains("added profile:calm to "))

        let library = VoiceLibrary(folder: folder.appendingPathComponent("V"))
        #expect(library.clips == ["me"] && library.profiles == [.init(name: "calm", description: "A calm, low voice, very clear audio.")])
        #expect(try Data(contentsOf: library.clipAudio("me")) == Data(contentsOf: folder.appendingPathComponent("me.wav")))

        result = try CLI.run(["voices", "list", "--voices", "V"], in: folder)
        #expect(result.stdout.split(separator: "\n").map(String.init) == [
            folder.appendingPathComponent("V").path,
            "  profile:calm  A calm, low voice, very clear audio.",
            "  me            clip, 1.5 s: “Hello, it is me.”",
        ])
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
