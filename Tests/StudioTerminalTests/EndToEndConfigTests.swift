import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// The config file stands in for the flags not given: the engine runs at its precision and threads, and plays on
    /// its device. One that does not read is said at the start, and the studio goes on without it.
    @Test func theConfigFileSetsTheEngineAndItsProblemsAreSaid() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let audioTokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        let config = folder.appendingPathComponent(".config/higgs-studio/config.yaml")  // the session's HOME is the folder
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "precision: q8\nthreads: 1\naudio_device: higgs_no_such_device\n".write(to: config, atomically: true, encoding: .utf8)

        let tmux = try TmuxSession(width: 200, height: 30, folder: folder)
        let flags = ["--model", model.path, "--audio-tokenizer", audioTokenizer.path] + Self.libraryFlags + ["cfg.higgs"]
        try tmux.launchStudio(flags)
        try tmux.waitFor("the engine at the config's precision and threads") { $0.contains("· q8 · 1 thread") }
        try tmux.waitFor("the config's playback device") { $0.contains("audio device 'higgs_no_such_device'") }
        try tmux.keys("C-q")
        try tmux.waitUntil("the studio has quit") { (try? tmux.atPrompt()) == true }

        try "precision: q5\n".write(to: config, atomically: true, encoding: .utf8)
        try tmux.launchStudio(flags + ["--audio-device", "null"])
        try tmux.waitFor("the config's problem") { screen in
            screen.contains("`precision:` must be bf16, q8 or q4, not 'q5' — the config file is not used")
        }
        try tmux.waitFor("the engine at the default precision") { $0.contains("· q4 · ") }
        try tmux.keys("C-q")
        try tmux.waitUntil("the studio has quit") { (try? tmux.atPrompt()) == true }
    }
}
