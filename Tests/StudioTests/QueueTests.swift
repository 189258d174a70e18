import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// The queue's jobs here are closures whose behaviour is what is tested: they record when they run, block
/// on semaphores, report progress, fail.
@Suite struct QueueTests {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test func jobsRunInOrderOneAtATime() {
        let queue = JobQueue<Int, Int, String>(name: "test")
        let log = Log()
        let gate = DispatchSemaphore(value: 0)
        queue.enqueue(0) { _ in gate.wait(); log.add("start 0"); log.add("end 0"); return "zero" }
        for i in 1...4 {
            queue.enqueue(i) { _ in log.add("start \(i)"); log.add("end \(i)"); return "\(i)" }
        }
        let waiting = queue.queued
        #expect(waiting == [1, 2, 3, 4] || waiting == [0, 1, 2, 3, 4], "\(waiting)")
        // A job already queued is not queued twice.
        #expect(!queue.enqueue(3) { _ in "again" })
        gate.signal()
        #expect(queue.waitUntilIdle(timeout: 10))
        #expect(log.all == (0...4).flatMap { ["start \($0)", "end \($0)"] })
        #expect(queue.state(0) == .done("zero") && queue.state(3) == .done("3"))
    }

    /// `g` on a line waiting behind others: it runs next; the running job and the others keep their order.
    @Test func aWaitingJobRunsNext() {
        let queue = JobQueue<Int, Int, Int>(name: "test")
        let log = Log()
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        queue.enqueue(0) { _ in started.signal(); gate.wait(); log.add("0"); return 0 }
        for i in 1...4 { queue.enqueue(i) { _ in log.add("\(i)"); return i } }
        started.wait()
        #expect(queue.runNext(3) && queue.queued == [3, 1, 2, 4])
        #expect(!queue.runNext(0) && !queue.runNext(9))  // running, unknown
        #expect(queue.runNext(3) && queue.queued == [3, 1, 2, 4])
        gate.signal()
        #expect(queue.waitUntilIdle(timeout: 10))
        #expect(log.all == ["0", "3", "1", "2", "4"])
        #expect(!queue.runNext(3))  // done
    }

    /// With `beside`, a queued job that takes nothing from those running or queued ahead of it starts beside
    /// them (two at most here); one that does waits for them. Jobs named by a letter and a number depend
    /// on the jobs of their letter.
    @Test func independentJobsRunBesideOthers() {
        let queue = JobQueue<String, Int, Int>(name: "test", atOnce: 2, beside: { running, queued in
            var busy = Set(running.map(\.first))
            for (i, job) in queued.enumerated() {
                if !busy.contains(job.first) { return i }
                busy.insert(job.first)
            }
            return nil
        })
        let log = Log()
        let gates = Dictionary(uniqueKeysWithValues: ["a1", "a2", "b1", "c1"].map { ($0, DispatchSemaphore(value: 0)) })
        let started = DispatchSemaphore(value: 0)
        for id in ["a1", "a2", "b1", "c1"] {
            queue.enqueue(id) { _ in
                log.add("start \(id)")
                started.signal()
                gates[id]!.wait()
                log.add("end \(id)")
                return 0
            }
        }
        started.wait()
        started.wait()
        // a1 and b1 run; a2 waits for a1, c1 for room.
        #expect(Set(queue.running) == ["a1", "b1"] && queue.queued == ["a2", "c1"])
        gates["a1"]!.signal()
        started.wait()
        // a1's end made room: a2 may start now, and does, as the first queued.
        #expect(Set(queue.running) == ["a2", "b1"] && queue.queued == ["c1"])
        for id in ["a2", "b1", "c1"] { gates[id]!.signal() }
        #expect(queue.waitUntilIdle(timeout: 10))
        let all = log.all
        #expect(all.firstIndex(of: "start b1")! < all.firstIndex(of: "end a1")!)
        #expect(all.firstIndex(of: "end a1")! < all.firstIndex(of: "start a2")!)
        #expect(["a1", "a2", "b1", "c1"].allSatisfy { queue.state($0) == .done(0) })
    }

    @Test func cancellingQueuedAndRunningJobs() {
        let queue = JobQueue<String, Int, Int>(name: "test")
        let log = Log()
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        queue.enqueue("long") { control in
            started.signal()
            release.wait()
            log.add("long saw cancel: \(control.isCancelled())")
            if control.isCancelled() { throw CancellationError() }
            return 1
        }
        queue.enqueue("next") { _ in log.add("next ran"); return 2 }
        queue.enqueue("dropped") { _ in log.add("dropped ran"); return 3 }
        started.wait()
        #expect(queue.running == ["long"])
        #expect(queue.state("long") == .running(nil))
        queue.cancel("dropped")
        #expect(queue.state("dropped") == .cancelled)
        queue.cancel("long")
        release.signal()
        #expect(queue.waitUntilIdle(timeout: 10))
        #expect(log.all == ["long saw cancel: true", "next ran"])
        #expect(queue.state("long") == .cancelled)
        #expect(queue.state("next") == .done(2))
    }

    /// A job cancelled while it runs can be queued again at once (inputs changed under it): the new one waits for
    /// the cancelled run to end, beside jobs or not, and its state is the new job's from the start.
    @Test func aCancelledRunningJobQueuedAgainStartsOnceItEnds() {
        for atOnce in [1, 2] {
            let first: JobQueue<String, Int, Int>.Beside = { _, _ in 0 }
            let queue = JobQueue<String, Int, Int>(name: "test", atOnce: atOnce, beside: atOnce == 1 ? nil : first)
            let log = Log()
            let started = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            #expect(queue.enqueue("line") { control in
                started.signal()
                release.wait()
                control.report(7)
                log.add("first run saw cancel: \(control.isCancelled())")
                throw CancellationError()
            })
            started.wait()
            #expect(!queue.enqueue("line") { _ in 0 }, "a running job is not queued twice")
            queue.cancel("line")
            #expect(queue.enqueue("line") { control in
                log.add("second run saw cancel: \(control.isCancelled())")
                return 2
            })
            #expect(!queue.enqueue("line") { _ in 0 }, "nor a queued one")
            #expect(queue.state("line") == .queued)
            usleep(100_000)
            #expect(log.all.isEmpty, "the new job waits for the cancelled run")
            release.signal()
            #expect(queue.waitUntilIdle(timeout: 10))
            #expect(log.all == ["first run saw cancel: true", "second run saw cancel: false"])
            #expect(queue.state("line") == .done(2))
        }
    }

    @Test func cancelAllStopsEverything() {
        let queue = JobQueue<Int, Int, Int>(name: "test")
        let started = DispatchSemaphore(value: 0)
        let log = Log()
        queue.enqueue(0) { control in
            started.signal()
            while !control.isCancelled() { usleep(1000) }
            throw CancellationError()
        }
        for i in 1...3 { queue.enqueue(i) { _ in log.add("\(i)"); return i } }
        started.wait()
        queue.cancelAll()
        #expect(queue.waitUntilIdle(timeout: 10))
        #expect(log.all.isEmpty)
        #expect((0...3).allSatisfy { queue.state($0) == .cancelled })
        // The queue still works afterwards.
        queue.enqueue(9) { _ in 9 }
        #expect(queue.waitUntilIdle(timeout: 10) && queue.state(9) == .done(9))
    }

    @Test func stoppedQueueTakesNoMoreJobs() {
        let queue = JobQueue<Int, Int, Int>(name: "test")
        queue.enqueue(1) { _ in 1 }
        #expect(queue.waitUntilIdle(timeout: 10))
        queue.stop()
        #expect(!queue.enqueue(2) { _ in 2 })
        #expect(queue.state(2) == nil && queue.state(1) == .done(1))
    }

    @Test func progressAndFailuresArePublished() {
        let queue = JobQueue<Int, Int, Int>(name: "test")
        let reported = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        queue.enqueue(1) { control in
            control.report(12)
            reported.signal()
            release.wait()
            throw StudioError("the engine ran out of memory")
        }
        reported.wait()
        #expect(queue.state(1) == .running(12))
        let before = queue.version
        release.signal()
        #expect(queue.waitUntilIdle(timeout: 10))
        #expect(queue.state(1) == .failed("the engine ran out of memory"))
        #expect(queue.version > before)
        queue.forget(1)
        #expect(queue.state(1) == nil)
    }

    /// The studio's queue on a project: without an engine a line fails with where the model was looked
    /// for; a line whose take exists for exactly its inputs is done from the store, generating nothing.
    @Test func generationQueueWithoutEngine() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        let project = Project(cast: [CastMember(name: "A", voice: .automatic)], script: ["[A] One.", "[A] Two.", "[Nobody] Three."])
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        let plan = try #require(planner.plan(line: 1))
        let stored = try store.add(TakeTests.take(frames: 2, value: 0.3), key: plan.key!, seed: 42, reseeded: false,
                                   line: plan.identity, transcript: plan.transcript, engine: "x")
        let message = "no model: looked in ~/models/higgs-audio-v2-generation-3B-base"
        let queue = GenerationQueue(takes: store, engine: EngineHandle(.unavailable(message)),
                                    document: { DocumentSnapshot(planner: planner, lineIDs: [10, 11, 12]) })
        queue.generate([10, 11, 12, 13])
        #expect(queue.jobs.waitUntilIdle(timeout: 10))
        #expect(queue.state(.line(10)) == .failed(message))
        #expect(queue.state(.line(11)) == .done(.take(stored, cached: true)))
        #expect(queue.state(.line(12)) == .failed("speaker 'Nobody' is not in the cast (the studio's cast panel adds them; in the file, `Nobody: auto` under `cast:`)"))
        #expect(queue.state(.line(13)) == .failed("the line was deleted"))
        // Regenerating with a new seed always needs the engine.
        queue.generate([11], reseed: true)
        #expect(queue.jobs.waitUntilIdle(timeout: 10))
        #expect(queue.state(.line(11)) == .failed(message))
    }

    @Test func audioStreamGrowsWhileRead() {
        let stream = AudioStream()
        var buffer = [Float](repeating: 0, count: 4)
        stream.append([1, 2, 3])
        var r = buffer.withUnsafeMutableBufferPointer { stream.read(from: 0, into: $0) }
        #expect(r.count == 3 && !r.ended && buffer[0..<3] == [1, 2, 3])
        r = buffer.withUnsafeMutableBufferPointer { stream.read(from: 3, into: $0) }
        #expect(r.count == 0 && !r.ended)
        stream.markLine(7)
        stream.append([4, 5])
        stream.finish()
        r = buffer.withUnsafeMutableBufferPointer { stream.read(from: 3, into: $0) }
        #expect(r.count == 2 && r.ended && buffer[0..<2] == [4, 5])
        #expect(stream.line(at: 1) == nil && stream.line(at: 4) == 7)
    }

    /// ← and → while playing from here: on to the next line's start, back to this line's, or to the one
    /// before when this one has only just begun.
    @Test func skippingBetweenTheLinesOfAStream() {
        let stream = AudioStream()
        for (line, length) in [(3, 100), (4, 150), (6, 80)] {
            stream.markLine(line)
            stream.append([Float](repeating: 0.1, count: length))
        }
        stream.finish()
        func skip(_ from: Int, _ forward: Bool) -> Int? { stream.lineStart(skippingFrom: from, forward: forward, grace: 30) }
        #expect(skip(0, true) == 100 && skip(50, true) == 100 && skip(100, true) == 250 && skip(260, true) == nil)
        #expect(skip(180, false) == 100 && skip(110, false) == 0 && skip(5, false) == 0 && skip(20, false) == 0)
        #expect(skip(300, false) == 250 && skip(260, false) == 100)
        #expect(stream.line(at: skip(50, true)!) == 4 && stream.line(at: skip(110, false)!) == 3)
    }

    /// The stream tells the generator what its listener has not heard yet, and nothing once nobody follows it.
    @Test func audioStreamKnowsItsListenersLead() {
        let stream = AudioStream()
        var buffer = [Float](repeating: 0, count: 4)
        stream.append([1, 2, 3, 4, 5, 6])
        #expect(stream.listenerLead == nil)  // nobody has looked
        _ = stream.available(from: 0)
        #expect(stream.listenerLead == 6)  // a player waiting for its lead
        _ = buffer.withUnsafeMutableBufferPointer { stream.read(from: 0, into: $0) }
        #expect(stream.listenerLead == 2)
        stream.append([7, 8, 9])
        _ = buffer.withUnsafeMutableBufferPointer { stream.read(from: 4, into: $0) }
        #expect(stream.listenerLead == 1)
        _ = buffer.withUnsafeMutableBufferPointer { stream.read(from: 8, into: $0) }
        #expect(stream.listenerLead == 0)
        // A player that stops looking (paused, or playing something else) no longer counts.
        usleep(UInt32(AudioStream.followingWindow * 1_000_000) + 100_000)
        #expect(stream.listenerLead == nil)
    }
}
