import Foundation

/// An export running on a thread of its own, so that the screen stays live while a long book is written
/// (with MP3s, minutes for a book of many hours). It works from a planner of the project as it was when it
/// started; every file it writes is written atomically, so stopping the program midway leaves no half file.
public final class ExportJob: @unchecked Sendable {
    public enum State: Sendable {
        /// What it is writing now.
        case running(String)
        case done(ExportReport)
        case failed(String)
        /// Nothing written, the earlier export kept (`ExportRefused`): why.
        case refused(String)
    }

    private let lock = NSLock()
    private var current: State = .running("starting")
    private var stopping = false
    /// Thrown from the export's progress once `stop()` was asked: the export ends, its staging folder removed.
    private struct Stopped: Error {}
    private let finished = DispatchSemaphore(value: 0)
    public let folder: URL

    public init(_ planner: DialoguePlanner, name: String, to folder: URL) {
        self.folder = folder
        let thread = Thread { [self] in
            let outcome: State
            do {
                outcome = .done(try DialogueExport.export(planner, name: name, to: folder) { what in
                    if self.isStopping { throw Stopped() }
                    self.set(.running(what))
                })
            } catch let refused as ExportRefused {
                outcome = .refused(refused.description)
            } catch is Stopped {
                outcome = .refused("stopped: nothing written, the export before is as it was")
            } catch {
                outcome = .failed("\(error)")
            }
            set(outcome)
            finished.signal()
        }
        thread.name = "export"
        thread.start()
    }

    public var state: State {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public var isRunning: Bool {
        if case .running = state { return true }
        return false
    }

    /// Stops the export within seconds (at its next word of progress) and waits for it to end: what it wrote goes with
    /// it, and the export before stays as it was.
    public func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        wait()
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    /// Blocks until the export has ended (quitting waits for it).
    public func wait() {
        finished.wait()
        finished.signal()
    }

    private func set(_ state: State) {
        lock.lock()
        current = state
        lock.unlock()
    }
}
