import Foundation

/// The starts of a few lines' prompts prefilled while nothing is generated: the line under the cursor, then
/// the line after it, so that the next `g` or `r` begins in a second or two rather than after a whole prefill (a
/// scene, its voices and the lines before it run to hundreds of positions: 5-8 s on two slow cores).
///
/// A wish names the lines, in order, and the version of the document they are planned from; the newest replaces
/// the one before. It is carried out once it has stood still for `settle` (the cursor passing over lines wastes
/// nothing) and only while the queue is idle and the engine ready. A line being prefilled goes on while a newer
/// wish of the same version still names it (the cursor moved to it); another version, or a job that starts,
/// stops it within one prefill chunk. A line stopped by a job is prefilled again once the queue is idle.
final class PrefillAhead: @unchecked Sendable {
    /// Prefills line `id`'s start, stopping when told to; true when done (or impossible), false when stopped.
    typealias Work = (_ id: Int, _ isCancelled: () -> Bool) -> Bool

    private struct Wish {
        var lines: [Int]
        var version: Int
        var since: Date
    }

    private let condition = NSCondition()
    private var wish: Wish?
    /// Lines of the wish's version prefilled to the end.
    private var done: Set<Int> = []
    private var finishedCount = 0
    private var working: Int?
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

    /// Prefill these lines ahead, in order (none: nothing), as planned from document `version`: a new version
    /// (an edit, a new take) prefills them again.
    func want(_ lines: [Int], version: Int) {
        condition.lock()
        defer { condition.unlock() }
        if version != wish?.version { done = [] }
        wish = Wish(lines: lines, version: version, since: Date())
        if !started && !lines.isEmpty {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = "prefill-ahead"
            thread.stackSize = 8 << 20
            thread.start()
        }
        condition.broadcast()
    }

    /// Lines prefilled to the end so far.
    var finished: Int { condition.withLock { finishedCount } }

    /// Whether a prefill ahead runs now (the engine line says so: the cores are busy for the writer's sake).
    var isWorking: Bool { condition.withLock { working != nil } }

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
            guard let w = wish, let line = w.lines.first(where: { !done.contains($0) }) else {
                condition.wait()
                continue
            }
            let age = Date().timeIntervalSince(w.since)
            guard age >= settle, idle() else {
                // Jobs ending and engines loading are not signalled here: look again shortly.
                condition.wait(until: Date().addingTimeInterval(age < settle ? settle - age : 0.2))
                continue
            }
            working = line
            condition.unlock()
            let finished = work(line) { [self] in
                !idle() || condition.withLock { stopping || wish?.version != w.version || wish?.lines.contains(line) != true }
            }
            condition.lock()
            working = nil
            if finished && wish?.version == w.version {
                done.insert(line)
                finishedCount += 1
            }
        }
    }
}
