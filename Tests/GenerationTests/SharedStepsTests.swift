import Foundation
import Testing
import TestSupport
import Transformer
import Generation

/// Calls of one generator from several threads share their steps: a call made while another runs joins
/// it at its next step, and each still gets what it gets alone.
@Suite struct SharedStepsTests {
    /// What each callback saw, in the order the callbacks ran (on whichever thread ran the step).
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [(call: String, codes: AudioCodes)] = []
        private(set) var order: [String] = []

        func frame(_ call: String, _ frame: [Int], codebooks: Int) {
            lock.withLock {
                order.append(call)
                if let i = seen.firstIndex(where: { $0.call == call }) {
                    seen[i].codes.append(frame: frame)
                } else {
                    var codes = AudioCodes(numCodebooks: codebooks)
                    codes.append(frame: frame)
                    seen.append((call, codes))
                }
            }
        }

        func codes(_ call: String) -> AudioCodes? { lock.withLock { seen.first { $0.call == call }?.codes } }
    }

    /// The longest reference case runs on this thread; when its first frame is out, the geometry's other
    /// cases are asked for on another thread, and join it. Every case reproduces the reference, and the
    /// other call's frames come before the first call's last: they stepped together.
    @Test(arguments: ["a", "b"])
    func aCallFromAnotherThreadJoinsTheStepsGoing(_ geometry: String) throws {
        let references = ReferenceGeneration.all.filter { $0.geometry == geometry }.sorted { $0.steps > $1.steps }
        let model = try Models.model(geometry)
        let codebooks = model.configuration.audioNumCodebooks
        let generator = Generator(model: model)
        let requests = try references.map { (try BatchedGenerationTests.prompt($0, model), BatchedGenerationTests.options($0)) }
        let events = Events()
        let started = DispatchSemaphore(value: 0), ended = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var others: Result<[GenerationResult], Error>?
        let thread = Thread {
            started.wait()
            others = Result {
                try generator.generate(Array(requests.dropFirst()), onFrame: { i, frame in
                    events.frame("other \(i)", frame, codebooks: codebooks)
                })
            }
            ended.signal()
        }
        thread.start()
        var joined = false
        let first = try generator.generate(requests[0].0, options: requests[0].1) { frame in
            events.frame("first", frame, codebooks: codebooks)
            guard !joined else { return }
            joined = true
            started.signal()
            waitUntil { generator.generationsAtOnce == references.count }
        }
        ended.wait()
        let rest = try #require(try others?.get())

        for (reference, result) in zip(references, [first] + rest) {
            #expect(result.tokens == reference.generatedIds, "\(reference)")
            #expect(result.segments == reference.segments, "\(reference)")
            #expect(result.codes == reference.codes, "\(reference)")
        }
        #expect(events.codes("first") == first.codes)
        for (i, result) in rest.enumerated() where result.codes.frameCount > 0 {
            #expect(events.codes("other \(i)") == result.codes)
        }
        let lastOfFirst = try #require(events.order.lastIndex(of: "first"))
        #expect(events.order.prefix(lastOfFirst).contains { $0.hasPrefix("other") })
        #expect(generator.generationsAtOnce == 0)
    }

    /// A call cancelled while it steps beside another ends at once; the other goes on to its own end,
    /// still the reference's.
    @Test func cancellingOneCallLeavesTheOtherGoing() throws {
        let references = ReferenceGeneration.all.filter { $0.geometry == "a" }.sorted { $0.steps > $1.steps }
        let model = try Models.model("a")
        let generator = Generator(model: model)
        let first = (try BatchedGenerationTests.prompt(references[0], model), BatchedGenerationTests.options(references[0]))
        let started = DispatchSemaphore(value: 0), ended = DispatchSemaphore(value: 0)
        let stop = SharedFlag()
        nonisolated(unsafe) var other: Result<GenerationResult, Error>?
        let thread = Thread {
            started.wait()
            // The same prompt with a step limit it never reaches before it is stopped.
            var options = first.1
            options.maxNewTokens = 10_000
            other = Result { try generator.generate(first.0, options: options, isCancelled: { stop.value }) }
            ended.signal()
        }
        thread.start()
        var frames = 0
        let result = try generator.generate(first.0, options: first.1) { _ in
            frames += 1
            if frames == 1 {
                started.signal()
                waitUntil { generator.generationsAtOnce == 2 }
            } else if frames == 3 {
                stop.value = true
            }
        }
        ended.wait()
        let stopped = try #require(try other?.get())
        #expect(stopped.stopReason == .cancelled)
        #expect(stopped.steps > 0 && stopped.steps < references[0].steps)
        #expect(result.tokens == references[0].generatedIds)
        #expect(result.codes == references[0].codes)
    }

    /// Five threads each make twelve calls of one to three reference cases at once (the same prompt often in
    /// several calls, in chunks of 16 so that prompts go on from each other's prefills), half of them
    /// cancelled after a few steps: nothing waits forever, and every generation not cancelled is the
    /// reference's.
    @Test func manyCallsFromManyThreadsWithCancellations() throws {
        let references = ReferenceGeneration.all.filter { $0.geometry == "a" }
        let model = try Models.model("a")
        let generator = Generator(model: model, chunkRows: 16)
        let requests = try references.map { (try BatchedGenerationTests.prompt($0, model), BatchedGenerationTests.options($0)) }
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var wrong: [String] = []
            var reproduced = 0, cancelled = 0
        }
        let tally = Tally()
        let group = DispatchGroup()
        for thread in 0..<5 {
            group.enter()
            Thread {
                var random = SeededRandom(seed: UInt64(thread))
                for call in 0..<12 {
                    let picks = (0..<Int.random(in: 1...3, using: &random)).map { _ in Int.random(in: 0..<requests.count, using: &random) }
                    let stopAfter = Bool.random(using: &random) ? Int.random(in: 0...8, using: &random) : Int.max
                    // Polled by whichever caller runs the step, never by two at once.
                    var checks = 0
                    do {
                        let results = try generator.generate(picks.map { requests[$0] }, isCancelled: { checks += 1; return checks > stopAfter })
                        tally.lock.withLock {
                            for (pick, result) in zip(picks, results) {
                                if result.stopReason == .cancelled {
                                    tally.cancelled += 1
                                } else if result.tokens == references[pick].generatedIds && result.codes == references[pick].codes {
                                    tally.reproduced += 1
                                } else {
                                    tally.wrong.append("thread \(thread), call \(call): \(references[pick])")
                                }
                            }
                        }
                    } catch {
                        tally.lock.withLock { tally.wrong.append("thread \(thread), call \(call): \(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 300) == .success)
        tally.lock.withLock {
            #expect(tally.wrong.isEmpty, "\(tally.wrong)")
            #expect(tally.reproduced > 20 && tally.cancelled > 20)
        }
        #expect(generator.generationsAtOnce == 0)
    }
}
