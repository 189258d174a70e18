import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// The generation queue makes a job that takes nothing from the jobs before it (a line of another scene, an
/// audition) beside them, on the real engine: their generations share its steps.
@Suite(.serialized) struct JobsTogetherTests {
    /// The engine, recording when each line's synthesis starts and ends and how many run at once.
    final class Watched: LineSynthesizer, @unchecked Sendable {
        let engine: EngineSynthesizer
        private let lock = NSLock()
        private var inFlight = 0
        private(set) var mostAtOnce = 0
        private(set) var events: [String] = []

        /// Called on a line's first frame, with its transcript (on the thread making it).
        var onFirstFrame: ((String) -> Void)?

        init(_ engine: EngineSynthesizer) { self.engine = engine }

        var engineDescription: EngineDescription { engine.engineDescription }
        var takesTogether: Int { engine.takesTogether }

        func synthesize(_ line: LineRequest, seeds: [UInt64], context: [GeneratedLine], onProgress: (SynthesisProgress) -> Void,
                        onAudio: ([Float]) -> Void, listenerLead: () -> Int?, isCancelled: () -> Bool) throws -> [GeneratedTake] {
            lock.withLock {
                inFlight += 1
                mostAtOnce = max(mostAtOnce, inFlight)
                events.append("start " + line.transcript)
            }
            defer { lock.withLock { inFlight -= 1; events.append("end " + line.transcript) } }
            return try engine.synthesize(line, seeds: seeds, context: context, onProgress: { progress in
                if progress.frames == 1 { onFirstFrame?(line.transcript) }
                onProgress(progress)
            }, onAudio: onAudio, listenerLead: listenerLead, isCancelled: isCancelled)
        }

        func index(_ event: String) -> Int? { lock.withLock { events.firstIndex(of: event) } }
    }

    /// Two scenes of two lines each, then an audition, queued at once, context one line: the second scene's
    /// first line and the audition start beside the first scene's first line; each second line waits for
    /// the line before it. Every take is what its line makes alone with the same context (q8 weights, whose
    /// steps together compute exactly what steps alone do on rows this short).
    @Test func linesOfAnotherSceneAndAuditionsAreMadeBeside() throws {
        let engine = try EngineSynthesizer(modelFolder: EngineSynthesizerTests.model, audioTokenizerFolder: EngineSynthesizerTests.audioTokenizer,
                                           precision: .q8, cache: .disabled)
        let watched = Watched(engine)
        var settings = GenerationSettings()
        settings.temperature = 0
        settings.rasWindow = 0
        settings.chunkBuffer = 1
        settings.maxNewTokens = 40
        let script = ["[Ann] One.", "[Ben] Two.", "# scene: none", "[Ann] Three.", "[Ben] Four."]
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic), CastMember(name: "Ben", voice: .automatic)],
                              settings: settings, script: script)
        let folder = try Fixtures.temporaryFolder("higgs-jobs-together")
        defer { try? FileManager.default.removeItem(at: folder) }
        let takes = TakeStore(folder: folder.appendingPathComponent("dialogue.takes"))
        let library = VoiceLibrary(clips: [], profiles: [])
        let planner = { DialoguePlanner(project: project, voices: library, scenes: SceneLibrary(scenes: []), takes: takes,
                                        fingerprints: ClipFingerprints()) }
        #expect(planner().contextReach(line: 1) == [0] && planner().contextReach(line: 3).isEmpty
                && planner().contextReach(line: 4) == [3])
        let ids = Array(script.indices)
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(watched)),
                                    document: { DocumentSnapshot(planner: planner(), lineIDs: ids) })
        let spoken = script.map { $0.replacingOccurrences(of: "[Ann]", with: "[SPEAKER0]").replacingOccurrences(of: "[Ben]", with: "[SPEAKER1]") }
        // The first line holds at its first frame until the audition has started (30 s at most), so that the order
        // checked below does not hang on how soon this thread gets to queue the audition on a loaded machine.
        watched.onFirstFrame = { transcript in
            guard transcript == spoken[0] else { return }
            let deadline = Date().addingTimeInterval(30)
            while watched.index("start " + GenerationQueue.auditionSentence) == nil && Date() < deadline { usleep(2000) }
        }
        queue.generate([0, 1, 3, 4])
        queue.audition(.automatic, library: library)
        #expect(queue.jobs.waitUntilIdle(timeout: 120))
        queue.stop()

        // The two scenes' first lines and the audition.
        #expect(watched.mostAtOnce == 3)
        func index(_ event: String) throws -> Int { try #require(watched.index(event), "\(event)") }
        #expect(try index("start " + spoken[3]) < index("end " + spoken[0]))
        #expect(try index("end " + spoken[0]) < index("start " + spoken[1]))
        #expect(try index("end " + spoken[3]) < index("start " + spoken[4]))
        #expect(try index("start " + GenerationQueue.auditionSentence) < index("end " + spoken[0]))
        let audition = GenerationJob.audition(.automatic, text: GenerationQueue.auditionSentence)
        guard case .done(.audition(let seconds))? = queue.state(audition), seconds > 0 else {
            Issue.record("the audition: \(String(describing: queue.state(audition)))")
            return
        }

        let done = planner()
        for line in [0, 1, 3, 4] {
            guard case .done(.take(let info, cached: false))? = queue.state(.line(line)) else {
                Issue.record("line \(line): \(String(describing: queue.state(.line(line))))")
                continue
            }
            let plan = try #require(done.plan(line: line))
            #expect(plan.key == info.key && plan.context.count == (line == 0 || line == 3 ? 0 : 1), "line \(line)")
            let context = try plan.context.map { GeneratedLine(transcript: $0.transcript, codes: try takes.codes($0.key)) }
            let alone = try engine.synthesize(try #require(plan.request), context: context, onProgress: { _ in }, onAudio: { _ in },
                                              listenerLead: { nil }, isCancelled: { false })
            #expect(try takes.codes(info.key) == alone.codes, "line \(line)")
        }
    }

    /// An audition asked for while a line is made starts beside it, unless someone is listening to the line
    /// as it comes: then it waits for the line's end, so that its prefill does not hold the line back.
    @Test(arguments: [false, true])
    func anAuditionWaitsForALineSomeoneListensTo(listening: Bool) throws {
        let engine = try EngineSynthesizer(modelFolder: EngineSynthesizerTests.model, audioTokenizerFolder: EngineSynthesizerTests.audioTokenizer,
                                           precision: .q8, cache: .disabled)
        let watched = Watched(engine)
        var settings = GenerationSettings()
        settings.maxNewTokens = 30
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], settings: settings, script: ["[Ann] One."])
        let folder = try Fixtures.temporaryFolder("higgs-jobs-listened")
        defer { try? FileManager.default.removeItem(at: folder) }
        let takes = TakeStore(folder: folder.appendingPathComponent("dialogue.takes"))
        let library = VoiceLibrary(clips: [], profiles: [])
        let planner = DialoguePlanner(project: project, voices: library, scenes: SceneLibrary(scenes: []), takes: takes,
                                      fingerprints: ClipFingerprints())
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(watched)),
                                    document: { DocumentSnapshot(planner: planner, lineIDs: [0]) })
        let audition = GenerationJob.audition(.automatic, text: GenerationQueue.auditionSentence)
        // A player following the line: it looks at the stream every few milliseconds.
        let listener = SharedFlag()
        if listening {
            Thread {
                while !listener.value {
                    _ = queue.liveAudio(.line(0))?.available(from: 0)
                    usleep(5000)
                }
            }.start()
        }
        final class Seen: @unchecked Sendable { var running: [GenerationJob] = [] }
        let seen = Seen()
        watched.onFirstFrame = { transcript in
            guard transcript.hasSuffix("One.") else { return }
            if listening { waitUntil { queue.liveAudio(.line(0))?.listenerLead != nil } }
            queue.audition(.automatic, library: library)
            // The queue looks at once when a job is queued, and every half second while jobs wait.
            Thread.sleep(forTimeInterval: 0.7)
            seen.running = queue.jobs.running
        }
        queue.generate([0])
        #expect(queue.jobs.waitUntilIdle(timeout: 120))
        listener.value = true
        queue.stop()

        let lineEnd = try #require(watched.index("end [SPEAKER0] One."))
        let auditionStart = try #require(watched.index("start " + GenerationQueue.auditionSentence))
        if listening {
            #expect(seen.running == [.line(0)])
            #expect(auditionStart > lineEnd)
        } else {
            #expect(seen.running == [.line(0), audition])
            #expect(auditionStart < lineEnd)
        }
        guard case .done(.take)? = queue.state(.line(0)), case .done(.audition)? = queue.state(audition) else {
            Issue.record("\(String(describing: queue.state(.line(0)))), \(String(describing: queue.state(audition)))")
            return
        }
    }

}
