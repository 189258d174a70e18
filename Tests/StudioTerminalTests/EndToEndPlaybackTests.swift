import AudioIO
import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// Playing through ALSA: auditions, a line made and played, play from here.
extension EndToEndTests {
    /// Auditioning a clip voice in the cast panel plays it through ALSA's file plugin, on a device defined
    /// in the file given with `--audio-config`: the captured PCM is the 16-bit samples export would write
    /// for the clip.
    @Test func auditionedClipPlaysExactly() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let voices = folder.appendingPathComponent("voices")
        try FileManager.default.createDirectory(at: voices, withIntermediateDirectories: true)
        let clip: [Float] = (0..<12_000).map { i in 0.6 * sinf(Float(i) * 0.07) * (i % 3_000 < 1_500 ? 1 : 0.3) }
        try WAVFile.write(clip, sampleRate: 24_000, to: voices.appendingPathComponent("amy.wav"), format: .float32)
        try "Hello, I am Amy.\n".write(to: voices.appendingPathComponent("amy.txt"), atomically: true, encoding: .utf8)
        try "profiles:\n  calm: A calm voice.\n".write(to: voices.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let project = Project(cast: [CastMember(name: "Amy", voice: .clip("amy"))], script: ["[Amy] Hi."])
        try ProjectFile.save(project, to: folder.appendingPathComponent("clip.higgs"))

        let capture = folder.appendingPathComponent("captured.raw")
        let devices = folder.appendingPathComponent("devices.conf")
        try Fixtures.writeCaptureDevice("audition", capturingTo: capture, in: devices)
        let tmux = try TmuxSession(width: 80, height: 24, folder: folder)
        try tmux.launchStudio(["--voices", voices.path, "--scenes", voices.path,
                               "--audio-config", devices.path, "--audio-device", "audition", "clip.higgs"])
        try tmux.keys("Tab")
        try tmux.waitFor("the cast panel") { $0.contains("Amy") && $0.contains("clip amy.wav") }
        try tmux.keys("l")
        try tmux.waitFor("the audition message") { $0.contains("Playing the clip amy.wav") }
        let expected = WAVFile.encode(clip, sampleRate: 24_000, format: .pcm16).dropFirst(44)
        try tmux.waitUntil("the captured audio") { (try? Data(contentsOf: capture))?.count == expected.count }
        #expect(try Data(contentsOf: capture) == Data(expected))
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }

    /// The whole loop on the random-weight fixture checkpoints: open the sample project, edit its first
    /// line, generate it (`g`), see the take, play it (`p`) through a capture device a user would define in
    /// `~/.asoundrc` (a `type file` pcm over `null`), export (`e`): the captured PCM is exactly the exported
    /// line's samples.
    @Test func editGeneratePlayAndExportALine() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let audioTokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        let capture = folder.appendingPathComponent("captured.raw")
        try Fixtures.writeCaptureDevice("higgs_capture", capturingTo: capture, in: folder.appendingPathComponent(".asoundrc"))

        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(["--model", model.path, "--audio-tokenizer", audioTokenizer.path, "--precision", "bf16",
                               "--audio-device", "higgs_capture"] + Self.libraryFlags)
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        try tmux.keys("Enter", "End")
        try tmux.type(" Truly.")
        try tmux.keys("Escape")
        try tmux.waitFor("the edited line") { $0.contains("The Small Hours. Truly.") && !$0.contains("✎") }
        try tmux.keys("g")
        let screen = try tmux.waitFor("the take", timeout: 120) { screen in
            // Random weights run on past the words: the take may be cut at the line's limit (✂), or end (✓).
            screen.split(separator: "\n").contains { $0.contains("Truly.") && ($0.contains("✓") || $0.contains("✂")) }
        }
        #expect(screen.contains("frames/s"))
        try tmux.keys("p")
        try tmux.keys("e")
        let exported = folder.appendingPathComponent("untitled.export/lines/001.wav")
        try tmux.waitUntil("the export") { FileManager.default.fileExists(atPath: exported.path) }
        // Written on a thread of its own, then said on the screen.
        try tmux.waitFor("the export's message") { $0.contains("Exported to ") && $0.contains("1 line, ") }
        let expected = try Data(contentsOf: exported).dropFirst(44)  // the 16-bit samples after the header
        #expect(expected.count >= 2 * 960)
        try tmux.waitUntil("the captured audio") { (try? Data(contentsOf: capture))?.count == expected.count }
        #expect(try Data(contentsOf: capture) == Data(expected))

        // A second take with a new seed; the takes list names both, and chooses the first again.
        try tmux.keys("r")
        try tmux.waitFor("the second take", timeout: 120) { screen in
            screen.split(separator: "\n").contains { $0.contains("Truly.") && $0.contains(" 2/2") }
        }
        try tmux.keys("L")
        try tmux.waitFor("the takes list") { $0.contains("Takes of line 1") && $0.contains("take 2") && $0.contains("(new seed)") && $0.contains(" · up to date · ") }
        try tmux.keys("Up", "Enter")
        try tmux.waitFor("the first take chosen") { screen in
            screen.contains("Take 1 of 2 is the line's take.")
                && screen.split(separator: "\n").contains { $0.contains("Truly.") && $0.contains(" 1/2") }
        }
        // A count before r: two more takes at once, the last of them chosen (a cut one nobody heard is made
        // again, so there may be more than four).
        try tmux.keys("2")
        try tmux.waitFor("the count") { $0.contains("2…  then r") }
        try tmux.keys("r")
        try tmux.waitFor("the count's message") { $0.contains("Making 2 new takes of line 1, the first playing as it comes (one that runs on is made again)") }
        try tmux.waitFor("two takes more", timeout: 120) { screen in
            screen.split(separator: "\n").contains { row in
                let counted = row.split(separator: " ").last?.split(separator: "/").compactMap { Int($0) } ?? []
                return row.contains("Truly.") && counted.count == 2 && counted[0] == counted[1] && counted[1] >= 4
            }
        }
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save") || $0.contains("save") }
    }

    /// A listen-through: "play from here" takes the cursor along from line to line (so that `r` is on the
    /// line just heard), → and ← skip to the next line and back, and moving the cursor stops the following.
    @Test func playFromHereFollowsAndSkipsLines() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let audioTokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        let listener = try PacedListener(device: "higgs_speaker", in: folder, configuration: folder.appendingPathComponent(".asoundrc"))
        defer { listener.close() }
        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(["--model", model.path, "--audio-tokenizer", audioTokenizer.path, "--precision", "bf16",
                               "--audio-device", "higgs_speaker"] + Self.libraryFlags)
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        try tmux.keys("A")
        try tmux.waitFor("every take", timeout: 180) { screen in
            let rows = screen.split(separator: "\n").filter { $0.contains("▌ [") && $0.contains("│") }
            return rows.count == 7 && rows.allSatisfy { $0.contains("✓") || $0.contains("✂") }
        }
        func row(_ line: Int, _ marker: String) -> (String) -> Bool {
            { $0.contains("\(marker)\(String(format: "%3d", line))▌") }
        }
        try tmux.keys("<", "P")
        try tmux.waitFor("line 1 playing") { $0.contains("  line 1 ") && row(1, "▶")($0) }
        try tmux.keys("Right")
        try tmux.waitFor("line 2 playing, the cursor on it") { $0.contains("  line 2 ") && row(2, "▶")($0) && !row(1, "›")($0) }
        // Line 2 lasts 16 s: line 3 within 5 s is the skip.
        try tmux.keys("Right")
        try tmux.waitFor("line 3 playing", timeout: 5) { $0.contains("  line 3 ") && row(3, "▶")($0) }
        try tmux.keys("Left")
        try tmux.waitFor("line 2 again, from its start") { $0.contains("  line 2 ") && row(2, "▶")($0) }
        // Once the message of A has gone, the bottom row gives the keys of a listen-through.
        try tmux.waitFor("the keys of a listen-through") { $0.contains("← → line before / next") && $0.contains("  line 2 ") }
        try tmux.keys("s")
        try tmux.waitFor("the cursor left on the line heard") {
            $0.contains("stopped") && row(2, "›")($0) && $0.contains("Enter edit  g generate")
        }

        // Moving the cursor while it plays: the cursor stays where it was put.
        try tmux.keys("<", "P")
        try tmux.waitFor("line 1 playing again") { $0.contains("  line 1 ") }
        try tmux.keys("Down", "Down", "Down")
        try tmux.waitFor("the cursor on line 4") { row(4, "›")($0) }
        try tmux.keys("Right")
        try tmux.waitFor("line 2 playing, the cursor still on 4") { $0.contains("  line 2 ") && row(4, "›")($0) }

        // Within one line (p), → and ← go 2 s on and back.
        func heard(_ screen: String) -> Double? {
            guard let row = screen.split(separator: "\n").first(where: { $0.hasPrefix(" ▶ ") }),
                  let clock = row.split(separator: " ").dropFirst().first?.split(separator: ":"), clock.count == 2,
                  let m = Double(clock[0]), let s = Double(clock[1]) else { return nil }
            return m * 60 + s
        }
        try tmux.keys("s", "k", "k", "p")
        try tmux.waitFor("line 2 alone, at its start") { $0.contains("  line 2 ") && (heard($0) ?? 9) < 1 }
        // A skip is the position moving further than the time that passed (playing moves it as far), or back.
        func skipped(_ forward: Bool) throws {
            let (before, pressed) = (try heard(tmux.screen()) ?? 0, Date())
            try tmux.keys(forward ? "Right" : "Left")
            try tmux.waitFor(forward ? "2 s on" : "2 s back", timeout: 10) { screen in
                guard let now = heard(screen) else { return false }
                return forward ? now - before >= Date().timeIntervalSince(pressed) + 1.5 : now < before - 1
            }
        }
        try skipped(true)
        try skipped(true)
        try skipped(false)
        // Quit before the listener goes: a player writing to nobody would get SIGPIPE.
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }
}
