import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// A first start with no checkpoints anywhere: the first generation key offers to download them (declined
    /// once, then refused by the hub, then accepted), the engine line follows the download and the load, and the
    /// line asked for is made.
    @Test func aFirstStartDownloadsTheModel() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let hub = try LoopbackHub(checkpointsIn: folder.appendingPathComponent("published"), model: EngineLocation.modelRepository,
                                  tokenizer: EngineLocation.tokenizerRepository)
        defer { hub.stop() }
        hub.delay = 1  // each file held back a second, so the screen shows the download under way

        let tmux = try TmuxSession(width: 160, height: 30, folder: folder)
        try tmux.launchStudio(["--precision", "bf16", "--audio-device", "null"] + Self.libraryFlags,
                              environment: ["HF_ENDPOINT": hub.endpoint])
        try tmux.waitFor("the offer on the engine line") { $0.contains("engine: no model here — g offers to download it") }

        try tmux.keys(">", "g")
        try tmux.waitFor("the question") { screen in
            ["No model to generate with here. Download", "bosonai/higgs-audio-v2-generation-3B-base (11.5 GB) and",
             "bosonai/higgs-audio-v2-tokenizer (0.8 GB) into", "~/.cache/huggingface/hub now?"].allSatisfy(screen.contains)
        }
        try tmux.keys("n")
        try tmux.waitFor("the reason, declined") { $0.contains("No model to generate with") }

        // A download that stops (here the hub refuses it) says why, and the next key offers it again.
        hub.requiredToken = "not given"
        try tmux.keys("g")
        try tmux.waitFor("the question again") { $0.contains("~/.cache/huggingface/hub now?") }
        try tmux.keys("y")
        try tmux.waitFor("the failed download") { $0.contains("engine: the download stopped (g tries again): access refused (401): set HF_TOKEN") }
        hub.requiredToken = nil
        try tmux.keys("g")
        try tmux.waitFor("the question once more") { $0.contains("~/.cache/huggingface/hub now?") }
        try tmux.keys("y")
        try tmux.waitFor("the download") { $0.contains("downloading bosonai/higgs-audio-v2-") }
        try tmux.waitFor("the engine", timeout: 120) { $0.contains("· bf16 ·") }
        try tmux.waitFor("the line", timeout: 120) { screen in
            screen.split(separator: "\n").contains { $0.contains("I'll make you toast.") && ($0.contains("✓") || $0.contains("✂")) }
        }
        let cache = folder.appendingPathComponent(".cache/huggingface/hub")
        for (repository, file) in [("models--bosonai--higgs-audio-v2-tokenizer", "model.pth"),
                                   ("models--bosonai--higgs-audio-v2-generation-3B-base", "model.safetensors.index.json")] {
            let snapshot = cache.appendingPathComponent("\(repository)/snapshots/\(hub.commit)/\(file)")
            #expect(FileManager.default.fileExists(atPath: snapshot.path), "\(snapshot.path)")
        }
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }
}
