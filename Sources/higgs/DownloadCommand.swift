import ArgumentParser
import Foundation
import ModelHub
import Studio

/// `higgs download`: the checkpoints into the Hugging Face cache, resumable and verified.
struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download the checkpoints into the Hugging Face cache (resumable, verified), where every command finds them.",
        discussion: """
            With no --model, downloads both bosonai/higgs-audio-v2-generation-3B-base and \
            bosonai/higgs-audio-v2-tokenizer. Honours HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE and HF_HOME. \
            Interrupt it and run it again to resume.
            """
    )

    @Option(help: "A repository to download (default: the generation model and the audio tokenizer).")
    var model: String?

    @Option(help: "A branch, tag or commit.")
    var revision = "main"

    @Option(help: "Files fetched at once.")
    var parallel = 4

    @Flag(help: "No progress bar.")
    var quiet = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let cache = HubCache(environment: environment)
        let offline = HubClient.isOffline(environment)
        let repositories = model.map { [$0] } ?? [EngineLocation.modelRepository, EngineLocation.tokenizerRepository]
        for repository in repositories {
            let download = Download(cache: cache, client: HubClient(environment: environment), parallel: parallel)
            let bar = ProgressBar(download: download, label: repository, quiet: quiet)
            bar.start()
            let snapshot: URL
            do {
                snapshot = try download.run(repository, revision: revision, offline: offline)
            } catch {
                bar.stop()
                throw error
            }
            bar.stop()
            print("\(repository): \(snapshot.path)")
        }
    }
}

/// A one-line bar on stderr, redrawn a few times a second: bytes, speed and time left.
final class ProgressBar: @unchecked Sendable {
    let download: Download
    let label: String
    let quiet: Bool
    private var timer: DispatchSourceTimer?

    init(download: Download, label: String, quiet: Bool) {
        self.download = download
        self.label = label
        self.quiet = quiet
    }

    func start() {
        guard !quiet, isatty(STDERR_FILENO) != 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now(), repeating: 0.25)
        timer.setEventHandler { [self] in draw(final: false) }
        timer.resume()
        self.timer = timer
    }

    func stop() {
        timer?.cancel()
        timer = nil
        if !quiet { draw(final: true) }
    }

    private func draw(final: Bool) {
        let p = download.current
        guard p.total > 0 else { return }
        let bytes = Download.Progress.bytes
        let width = 24, filled = Int(p.fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = String(format: "%@ %@ %5.1f%% %@/%@ %@/s ETA %@ (%d/%d files)", label, bar, p.fraction * 100,
                          bytes(p.done), bytes(p.total), bytes(Int(p.bytesPerSecond)),
                          Download.Progress.duration(p.secondsLeft ?? 0), p.filesDone, p.files)
        Console.error("\r\u{1B}[K" + text + (final ? "\n" : ""))
    }
}
