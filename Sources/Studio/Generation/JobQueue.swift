import Foundation

/// A first-in first-out queue of jobs run on background threads, publishing each job's state. Jobs run one
/// at a time unless `beside` lets a queued job start while others run (up to `atOnce` of them): a job that
/// does not depend on those running or queued ahead of it. The screen reads the states whenever it draws;
/// nothing here ever waits on the screen.
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

    /// Which queued job (its index in `queued`) may start beside the jobs `running`, nil for none. Called
    /// with the queue locked (it must not call the queue) whenever the queue changes, and every half second
    /// while jobs wait beside others.
    public typealias Beside = @Sendable (_ running: [ID], _ queued: [ID]) -> Int?

    private let condition = NSCondition()
    private var queue: [(id: ID, work: Work)] = []
    private var states: [ID: State] = [:]
    private var runningIDs: [ID] = []
    private var cancelling: Set<ID> = []
    private var scheduler: Thread?
    private var stopping = false
    private var changes = 0
    private var ends = 0
    private let name: String
    private let atOnce: Int
    private let beside: Beside?

    /// `atOnce` jobs at most run together, where `beside` lets them; without it, one at a time.
    public init(name: String, atOnce: Int = 1, beside: Beside? = nil) {
        self.name = name
        self.atOnce = max(1, atOnce)
        self.beside = beside
    }

    /// Adds a job at the end. A job whose id is already queued, or running and not cancelled, is not added again
    /// (false). One cancelled while it runs may be: the new one starts once the cancelled run has ended.
    @discardableResult
    public func enqueue(_ id: ID, work: @escaping Work) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let endingRun = runningIDs.contains(id) && cancelling.contains(id) && !queue.contains { $0.id == id }
        if (states[id]?.isActive == true && !endingRun) || stopping { return false }
        queue.append((id, work))
        states[id] = .queued
        changes += 1
        if scheduler == nil {
            let thread = Thread { [weak self] in self?.schedule() }
            thread.name = name
            scheduler = thread
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
            condition.broadcast()  // a job waiting for it may start now
        } else if runningIDs.contains(id) {
            cancelling.insert(id)
        }
    }

    /// Cancels every queued and running job.
    public func cancelAll() {
        condition.lock()
        defer { condition.unlock() }
        for job in queue { states[job.id] = .cancelled }
        queue.removeAll()
        cancelling.formUnion(runningIDs)
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
        condition.broadcast()  // it may start beside the jobs running
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

    /// Forgets the state of every job that failed (what it failed on may be mended: a speaker recast, a scene note).
    public func forgetFailures() {
        condition.lock()
        defer { condition.unlock() }
        for (id, state) in states {
            if case .failed = state { states[id] = nil }
        }
        changes += 1
    }

    /// Ids waiting, in the order they will run.
    public var queued: [ID] {
        condition.lock()
        defer { condition.unlock() }
        return queue.map(\.id)
    }

    /// Ids running, in the order they started.
    public var running: [ID] {
        condition.lock()
        defer { condition.unlock() }
        return runningIDs
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

    /// Cancels everything and lets the queue's threads end (a queue replaced by another).
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
        while !queue.isEmpty || !runningIDs.isEmpty {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Starts jobs as they may start, each on a thread of its own, until the queue stops.
    private func schedule() {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping && queue.isEmpty {
                scheduler = nil
                return
            }
            if let next = startable() {
                start(queue.remove(at: next))
            } else if queue.isEmpty || beside == nil || runningIDs.count >= atOnce {
                condition.wait()
            } else {
                // What `beside` looks at may change without the queue hearing of it (someone stops listening).
                _ = condition.wait(until: Date().addingTimeInterval(0.5))
            }
        }
    }

    /// The queued job to start now: the first when none runs, else the one `beside` chooses. Never a job whose
    /// cancelled run has not ended yet.
    private func startable() -> Int? {
        guard !queue.isEmpty, runningIDs.count < atOnce else { return nil }
        let i: Int
        if runningIDs.isEmpty {
            i = 0
        } else {
            guard let beside, let chosen = beside(runningIDs, queue.map(\.id)), queue.indices.contains(chosen) else { return nil }
            i = chosen
        }
        return runningIDs.contains(queue[i].id) ? nil : i
    }

    private func start(_ job: (id: ID, work: Work)) {
        runningIDs.append(job.id)
        cancelling.remove(job.id)
        states[job.id] = .running(nil)
        changes += 1
        let thread = Thread { [self] in run(job) }
        thread.name = name
        thread.stackSize = 4 << 20
        thread.start()
    }

    private func run(_ job: (id: ID, work: Work)) {
        let control = Control(
            isCancelled: { [unowned self] in
                condition.lock()
                defer { condition.unlock() }
                return cancelling.contains(job.id)
            },
            report: { [unowned self] progress in
                condition.lock()
                defer { condition.unlock() }
                // Not a cancelled run's, once its job is queued again.
                if runningIDs.contains(job.id) && !queue.contains(where: { $0.id == job.id }) {
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
        // Queued again while it was being cancelled: the new job's state is the one to show.
        states[job.id] = queue.contains { $0.id == job.id } ? .queued : final
        runningIDs.removeAll { $0 == job.id }
        cancelling.remove(job.id)
        changes += 1
        ends += 1
        condition.broadcast()
        condition.unlock()
    }
}
