import Foundation
import Prompt

/// The generation engine as the studio holds it: not there (and why), loading, ready, or failed to load.
/// Loading runs on its own thread; generation jobs wait for it.
public final class EngineHandle: @unchecked Sendable {
    public enum State: Sendable {
        case unavailable(String)
        case loading(String)
        case ready(LineSynthesizer)
        case failed(String)
    }

    private let condition = NSCondition()
    private var current: State

    public init(_ state: State) {
        current = state
    }

    public var state: State {
        condition.lock()
        defer { condition.unlock() }
        return current
    }

    /// Loads the engine with `factory` on a background thread.
    public func load(_ what: String, factory: @escaping @Sendable () throws -> LineSynthesizer) {
        condition.lock()
        current = .loading(what)
        condition.unlock()
        let thread = Thread { [self] in
            let result: State
            do {
                result = .ready(try factory())
            } catch {
                result = .failed("\(error)")
            }
            condition.lock()
            current = result
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "engine-load"
        thread.start()
    }

    /// Replaces the text of a load in progress (what it is doing now); no change once it has ended.
    public func stillLoading(_ what: String) {
        condition.lock()
        defer { condition.unlock() }
        if case .loading = current { current = .loading(what) }
    }

    /// The synthesizer, waiting while it loads; an error saying why there is none otherwise.
    public func synthesizer(isCancelled: () -> Bool = { false }) throws -> LineSynthesizer {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch current {
            case .ready(let s): return s
            case .unavailable(let why), .failed(let why): throw StudioError(why)
            case .loading:
                if isCancelled() { throw CancellationError() }
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
            }
        }
    }
}
