import Foundation
import Studio

/// Getting the checkpoints from the studio: a first start without them offers to download them when something
/// is asked of the model, and the engine line follows the download and then the load.
extension StudioApp {
    /// The download the studio could offer: none in a build without the engine, while the engine has what it
    /// needs, or when the missing folders were named by the writer (see `CheckpointFetch`).
    var checkpointFetch: CheckpointFetch? {
        guard options.makeSynthesizer != nil else { return nil }
        switch engine.state {
        case .unavailable: break
        case .failed where fetchStopped.value: break  // the network, a full disk: again
        default: return nil
        }
        return CheckpointFetch(for: options.engine)
    }

    /// Asks whether to download the missing checkpoints; on yes, the engine downloads them, then loads, and
    /// what was asked of it waits for it.
    func offerCheckpointFetch() throws {
        guard let fetch = checkpointFetch, let make = options.makeSynthesizer else { return }
        let question = "No model to generate with here. Download \(fetch.summary) into "
            + "\(options.engine.display(fetch.destination)) now? It can take a while; quitting stops it, and the next "
            + "download goes on from there. (y/n)"
        guard try ask(question, choices: ["y", "n"]) == "y" else { return }
        engine.load("downloading") { [engine, fetchStopped] in
            fetchStopped.value = false
            let location: EngineLocation
            do { location = try fetch.run { engine.stillLoading($0) } } catch {
                fetchStopped.value = true
                throw error
            }
            engine.stillLoading("loading \(location.display(location.model))")
            return try make(location) { engine.stillLoading($0) }
        }
        say("Downloading the checkpoints; what you asked for is made once the model has loaded.")
    }
}

/// Whether the studio's last download of the checkpoints stopped, as the engine's loading thread tells it.
final class FetchStopped: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    var value: Bool {
        get { lock.withLock { stopped } }
        set { lock.withLock { stopped = newValue } }
    }
}
