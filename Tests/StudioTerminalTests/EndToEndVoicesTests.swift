import AudioIO
import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// Voices made in the studio: from a take, from a description, recorded.
extension EndToEndTests {
    /// Voices made in the studio: `V` keeps a generated take as a clip voice (its audio, the line's text)
    /// and casts the line's speaker with it; the voice list's "new profile…" adds a description to
    /// profile.yaml after the others; Ctrl-Z takes the casting back and leaves the voices.
    @Test func voicesMadeFromATakeAndADescription() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let audioTokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        let voices = folder.appendingPathComponent("voices")
        try FileManager.default.createDirectory(at: voices, withIntermediateDirectories: true)
        let profiles = try String(contentsOf: Self.repository.appendingPathComponent("Voices/profile.yaml"), encoding: .utf8)
        try profiles.write(to: voices.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)

        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(["--model", model.path, "--audio-tokenizer", audioTokenizer.path, "--precision", "bf16",
                               "--audio-device", "null", "--voices", voices.path,
                               "--scenes", Self.repository.appendingPathComponent("Scenes").path])
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        try tmux.keys("g")
        try tmux.waitFor("the take", timeout: 120) { screen in
            screen.split(separator: "\n").contains { $0.contains("The Small Hours.") && $0.contains("✓") }
        }
        try tmux.keys("V")
        try tmux.waitFor("the transcript prompt") { $0.contains("What is said in the take") }
        try tmux.keys("Enter")
        try tmux.waitFor("the name prompt") { $0.contains("Name of the voice") && $0.contains("mara") }
        try tmux.keys("Enter")
        try tmux.waitFor("the casting") { $0.contains("Mara speaks with mara.") }
        let takeAudio = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("untitled.takes").path)
            .filter { $0.hasSuffix(".wav") }
        #expect(takeAudio.count == 1)
        // The take as the export hears it (its silence trimmed), in 16-bit PCM.
        let clip = try Data(contentsOf: voices.appendingPathComponent("mara.wav"))
        #expect(clip[20] == 1 && clip[34] == 16)  // the fmt chunk's format (PCM) and bits per sample
        let take = try WAVFile.read(folder.appendingPathComponent("untitled.takes/\(takeAudio[0])")).samples
        let trimmed = TakeTrim.apply(take, sound: TakeTrim.sound(take))
        let kept = try WAVFile.read(voices.appendingPathComponent("mara.wav")).samples
        #expect(kept.count == trimmed.count && zip(kept, trimmed).allSatisfy { abs($0 - min(max($1, -1), 1)) <= 2.0 / 32767 })  // 16 bits, read back as x / 32768
        #expect(try String(contentsOf: voices.appendingPathComponent("mara.txt"), encoding: .utf8)
            == "Good evening, night owls, and welcome back to The Small Hours.\n")

        try tmux.keys("Tab")
        try tmux.waitFor("the cast panel") { $0.contains("clip mara.wav") }
        try tmux.keys("Enter")
        try tmux.waitFor("the voice list, the clip with its length") {
            $0.contains("Voice for Mara") && $0.contains("new profile…") && $0.contains(" s: Good evening, night owls")
        }
        try tmux.keys("End", "Enter")
        try tmux.waitFor("the description prompt") { $0.contains("How Mara sounds") }
        try tmux.type("A hoarse radio voice, very clear audio.")
        try tmux.keys("Enter")
        try tmux.waitFor("the profile name prompt") { $0.contains("Name of the profile") }
        // A name taken is said, and asked again: the description typed is kept.
        try tmux.keys("C-u")
        try tmux.type("warm_host")
        try tmux.keys("Enter")
        try tmux.waitFor("the name taken, asked again") { $0.contains("a profile 'warm_host' is already there") && $0.contains("Name of the profile") }
        try tmux.keys("C-u")
        try tmux.type("hoarse")
        try tmux.keys("Enter")
        try tmux.waitFor("the profile casting") { $0.contains("Mara speaks with profile:hoarse.") }
        let updated = try String(contentsOf: voices.appendingPathComponent("profile.yaml"), encoding: .utf8)
        #expect(updated.hasPrefix(profiles))
        #expect(VoiceLibrary(folder: voices).profile(named: "hoarse")?.description == "A hoarse radio voice, very clear audio.")

        try tmux.keys("C-z")
        try tmux.waitFor("the clip cast again") { $0.contains("clip mara.wav") }
        #expect(FileManager.default.fileExists(atPath: voices.appendingPathComponent("mara.wav").path))
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save") || $0.contains("save") }
    }

    /// A voice recorded in the studio from a microphone (an ALSA device whose capture reads a raw file, which
    /// `null` under it does not pace, so the 30 s limit arrives at once): kept as a clip, its samples are
    /// the microphone's, its transcript the passage read.
    @Test func aRecordedVoiceIsKeptAsAClip() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let voices = folder.appendingPathComponent("voices")
        try FileManager.default.createDirectory(at: voices, withIntermediateDirectories: true)
        // A second of silence (the writer has pressed Enter and not yet spoken), then the voice.
        let spoken: [Int16] = [Int16](repeating: 0, count: 24_000)
            + (0..<(31 * 24_000)).map { i in Int16(9_000 * sinf(Float(i) * 0.021) * (i % 24_000 < 12_000 ? 1 : 0.4)) }
        let input = folder.appendingPathComponent("mic.raw")
        try Fixtures.rawSamples(spoken).write(to: input)
        let devices = folder.appendingPathComponent("devices.conf")
        try Fixtures.writeRecordingDevice("higgs_mic", readingFrom: input, in: devices)

        let tmux = try TmuxSession(width: 100, height: 30, folder: folder)
        try tmux.launchStudio(["--voices", voices.path, "--scenes", Self.repository.appendingPathComponent("Scenes").path,
                               "--audio-device", "null", "--record-device", "higgs_mic", "--audio-config", devices.path])
        try tmux.keys("Tab", "Enter")
        try tmux.waitFor("the voice list") { $0.contains("Voice for Mara") && $0.contains("record a clip…") }
        try tmux.keys("End", "Up", "Enter")
        try tmux.waitFor("the recording dialog") { $0.contains("Record a voice for Mara") && $0.contains("from higgs_mic") }
        try tmux.keys("Enter")
        try tmux.waitFor("the recording", timeout: 60) { $0.contains("Recorded 29.1 s.") && $0.contains("0.8 s of silence around it left out.") }
        try tmux.keys("Enter")
        try tmux.waitFor("the transcript prompt") { $0.contains("What you read") }
        try tmux.keys("Enter")
        try tmux.waitFor("the name prompt") { $0.contains("Name of the voice") }
        try tmux.keys("Enter")
        try tmux.waitFor("the casting") { $0.contains("Mara speaks with mara.") }

        let wav = try Data(contentsOf: voices.appendingPathComponent("mara.wav"))
        // From 0.15 s before the voice to the 30 s the recording may last.
        let kept = Array(spoken[(24_000 - 3_600)..<(30 * 24_000)])
        #expect(wav.count == 44 + 2 * kept.count)
        let matches = wav.dropFirst(44) == Fixtures.rawSamples(kept)
        #expect(matches)
        #expect(try String(contentsOf: voices.appendingPathComponent("mara.txt"), encoding: .utf8).hasPrefix("Hello! I'm recording this"))
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save") || $0.contains("save") }
    }
}
