import Foundation

/// The start of one line's prompt prefilled while nothing is generated: the line under the cursor, so that
/// its `g` or `r` begins in a second or two rather than after a whole prefill (a scene, its voices and the
/// lines before it run to hundreds of positions: 7 s on two slow cores).
///
/// A wish names a line; the newest replaces the one before. It is carried out once it has stood still for
/// `settle` (the cursor passing over lines wastes nothing) and only while the queue is idle and the engine
/// ready. It gives way, within one prefill chunk, to a job that starts or to a newer wish; one that gave way
/// to a job is carried out again when the queue is idle.
final class PrefillAhead: @unchecked Sendable {
    /// Prefills line `id`'s start, stopping when told to; true when done (or impossible), false when stopped.
    typealias Work = (_ id: Int, _ isCancelled: () -> Bool) -> Bool

    private let condition = NSCondition()
    private var wish: (line: Int, since: Date, serial: Int)?
    private var serial = 0
    private var done = 0
    private var finishedCount = 0
    private var working = false
    private var stopping = false
    private var started = false
    private let idle: @Sendable () -> Bool
    private let work: Work
    let settle: TimeInterval

    init(settle: TimeInterval = 0.5, idle: @escaping @Sendable () -> Bool, work: @escaping Work) {
        self.settle = settle
        self.idle = idle
        self.work = work
    }

    /// Prefill line `id` ahead (nil: nothing); a call with the same line again asks again (its text, or the
    /// takes before it, may have changed).
    func want(_ id: Int?) {
        condition.lock()
        defer { condition.unlock() }
        serial += 1
        wish = id.map { ($0, Date(), serial) }
        if !started && id != nil {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = "prefill-ahead"
            thread.stackSize = 8 << 20
            thread.start()
        }
        condition.broadcast()
    }

    /// Wishes carried out to the end so far.
    var finished: Int { condition.withLock { finishedCount } }

    /// Whether a prefill ahead runs now (the engine line says so: the cores are busy for the writer's sake).
    var isWorking: Bool { condition.withLock { working } }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        defer { condition.unlock() }
        while !stopping {
            guard let w = wish, w.serial != done else {
                condition.wait()
                continue
            }
            let age = Date().timeIntervalSince(w.since)
            guard age >= settle, idle() else {
                // Jobs ending and engines loading are not signalled here: look again shortly.
                condition.wait(until: Date().addingTimeInterval(age < settle ? settle - age : 0.2))
                continue
            }
            working = true
            condition.unlock()
            let finished = work(w.line) { [self] in
                !idle() || condition.withLock { stopping || wish?.serial != w.serial }
            }
            condition.lock()
            working = false
            if finished {
                done = w.serial
                finishedCount += 1
            }
        }
    }
}
