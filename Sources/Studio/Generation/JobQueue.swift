import Foundation

/// A first-in first-out queue of jobs run one at a time on a background thread, publishing each job's state.
/// The screen reads the states whenever it draws; nothing here ever waits on the screen.
public final class JobQueue<ID: Hashable & Sendable, Progress: Equatable & Sendable, Output: Equatable & Sendable>: @unchecked Sendable {
    public enum State: Equatable, Sendable {
        case queued
        case running(Progress?)
        case done(Output)
        case failed(String)
        case cancelled

        /// Queued or running.
        public var isActive: Bool {
            switch self {
            case .queued, .running: return true
            default: return false
            }
        }
    }

    /// What a running job sees of the queue.
    public struct Control: Sendable {
        public let isCancelled: @Sendable () -> Bool
        public let report: @Sendable (Progress) -> Void
    }

    public typealias Work = @Sendable (Control) throws -> Output

    private let condition = NSCondition()
    private var queue: [(id: ID, work: Work)] = []
    private var states: [ID: State] = [:]
    private var runningID: ID?
    private var cancelRunning = false
    private var worker: Thread?
    private var stopping = false
    private var changes = 0
    private var ends = 0
    private let name: String

    public init(name: String) {
        self.name = name
    }

    /// Adds a job at the end. A job whose id is already queued or running is not added again (false).
    @discardableResult
    public func enqueue(_ id: ID, work: @escaping Work) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if states[id]?.isActive == true || stopping { return false }
        queue.append((id, work))
        states[id] = .queued
        changes += 1
        if worker == nil {
            let thread = Thread { [weak self] in self?.runLoop() }
            thread.name = name
            thread.stackSize = 4 << 20
            worker = thread
            thread.start()
        }
        condition.broadcast()
        return true
    }

    /// Cancels a job: a queued one never starts, a running one is asked to stop (`isCancelled`).
    public func cancel(_ id: ID) {
        condition.lock()
        defer { condition.unlock() }
        if let i = queue.firstIndex(where: { $0.id == id }) {
            queue.remove(at: i)
            states[id] = .cancelled
            changes += 1
        } else if runningID == id {
            cancelRunning = true
        }
    }

    /// Cancels every queued and running job.
    public func cancelAll() {
        condition.lock()
        defer { condition.unlock() }
        for job in queue { states[job.id] = .cancelled }
        queue.removeAll()
        if runningID != nil { cancelRunning = true }
        changes += 1
    }

    /// Moves a waiting job to the front, to run next; false when it is not waiting.
    @discardableResult
    public func runNext(_ id: ID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let i = queue.firstIndex(where: { $0.id == id }) else { return false }
        queue.insert(queue.remove(at: i), at: 0)
        changes += 1
        return true
    }

    public func state(_ id: ID) -> State? {
        condition.lock()
        defer { condition.unlock() }
        return states[id]
    }

    /// Forgets a finished job's state (the screen then shows the line's stored take instead).
    public func forget(_ id: ID) {
        condition.lock()
        defer { condition.unlock() }
        if states[id]?.isActive == false { states[id] = nil }
    }

    /// Ids waiting, in the order they will run.
    public var queued: [ID] {
        condition.lock()
        defer { condition.unlock() }
        return queue.map(\.id)
    }

    public var running: ID? {
        condition.lock()
        defer { condition.unlock() }
        return runningID
    }

    /// Grows on every state change: the screen redraws when it moved.
    public var version: Int {
        condition.lock()
        defer { condition.unlock() }
        return changes
    }

    /// Grows each time a job ends (done, failed or cancelled): what it made may change what is shown.
    public var finished: Int {
        condition.lock()
        defer { condition.unlock() }
        return ends
    }

    /// Cancels everything and lets the worker thread end (a queue replaced by another).
    public func stop() {
        cancelAll()
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until nothing is queued or running, or `timeout` passes; true when idle.
    public func waitUntilIdle(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !queue.isEmpty || runningID != nil {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    private func runLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping && queue.isEmpty {
                worker = nil
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            runningID = job.id
            cancelRunning = false
            states[job.id] = .running(nil)
            changes += 1
            condition.unlock()

            let control = Control(
                isCancelled: { [unowned self] in
                    condition.lock()
                    defer { condition.unlock() }
                    return cancelRunning && runningID == job.id
                },
                report: { [unowned self] progress in
                    condition.lock()
                    defer { condition.unlock() }
                    if runningID == job.id {
                        states[job.id] = .running(progress)
                        changes += 1
                    }
                })
            let final: State
            do {
                final = .done(try job.work(control))
            } catch is CancellationError {
                final = .cancelled
            } catch {
                final = control.isCancelled() ? .cancelled : .failed("\(error)")
            }

            condition.lock()
            states[job.id] = final
            runningID = nil
            cancelRunning = false
            changes += 1
            ends += 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
