import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// The queue's prefill ahead of the line under the cursor and the next: when it starts, what stops it, and what
/// it does after, with an engine whose prefill ahead holds until it is told to stop or let go.
@Suite(.serialized) struct PrefillAheadTests {
    /// The real engine for lines; its `prepare` records the line and holds until stopped or released.
    final class Held: LineSynthesizer, @unchecked Sendable {
        let engine: EngineSynthesizer
        private let lock = NSLock()
        private var log: [String] = []
        private var released = false

        init(_ engine: EngineSynthesizer) { self.engine = engine }

        var engineDescription: EngineDescription { engine.engineDescription }
        var takesTogether: Int { engine.takesTogether }
        var events: [String] { lock.withLock { log } }
        func release() { lock.withLock { released = true } }

        func synthesize(_ line: LineRequest, seeds: [UInt64], context: [GeneratedLine], onProgress: (SynthesisProgress) -> Void,
                        onAudio: ([Float]) -> Void, listenerLead: () -> Int?, isCancelled: () -> Bool) throws -> [GeneratedTake] {
            lock.withLock { log.append("make " + line.transcript) }
            return try engine.synthesize(line, seeds: seeds, context: context, onProgress: onProgress, onAudio: onAudio,
                                         listenerLead: listenerLead, isCancelled: isCancelled)
        }

        func prepare(_ line: LineRequest, context: [GeneratedLine], isCancelled: () -> Bool) throws {
            lock.withLock { log.append("prepare " + line.transcript) }
            while !isCancelled() {
                if lock.withLock({ released }) {
                    lock.withLock { log.append("prepared " + line.transcript) }
                    return
                }
                usleep(2000)
            }
            lock.withLock { log.append("gave way " + line.transcript) }
        }
    }

    static func waitUntil(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() && Date() < deadline { usleep(5000) }
        #expect(condition(), "\(what)")
    }

    @Test func itWaitsForTheCursorToRestGivesWayAndComesBackForEachVersion() throws {
        let engine = try EngineSynthesizer(modelFolder: EngineSynthesizerTests.model, audioTokenizerFolder: EngineSynthesizerTests.audioTokenizer,
                                           precision: .bf16, cache: .disabled)
        let held = Held(engine)
        var settings = GenerationSettings()
        settings.temperature = 0
        settings.maxNewTokens = 20
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], settings: settings,
                              script: ["[Ann] One.", "[Ann] Two."])
        let folder = try Fixtures.temporaryFolder("higgs-prefill-ahead")
        defer { try? FileManager.default.removeItem(at: folder) }
        let takes = TakeStore(folder: folder.appendingPathComponent("ahead.takes"))
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                      takes: takes, fingerprints: ClipFingerprints())
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(held)),
                                    document: { DocumentSnapshot(planner: planner, lineIDs: [10, 11]) })
        defer { queue.stop() }

        // Half a second after the wish, not before.
        let asked = Date()
        queue.prefillAhead([10], version: 1)
        Self.waitUntil("the prefill ahead of line 1") { held.events == ["prepare [SPEAKER0] One."] }
        #expect(Date().timeIntervalSince(asked) >= 0.5)
        #expect(queue.isPrefillingAhead)

        // A wish that still names the line lets it go on; one that does not stops it, and its first line comes next.
        queue.prefillAhead([10, 11], version: 1)
        usleep(300_000)
        #expect(held.events == ["prepare [SPEAKER0] One."])
        queue.prefillAhead([11], version: 1)
        Self.waitUntil("line 2's prefill ahead") { held.events.last == "prepare [SPEAKER0] Two." }
        #expect(held.events == ["prepare [SPEAKER0] One.", "gave way [SPEAKER0] One.", "prepare [SPEAKER0] Two."])

        // A job stops it, runs, and once the queue is idle the line is prefilled again, to its end.
        queue.generate([10])
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        Self.waitUntil("line 2's prefill ahead again") { held.events.filter { $0 == "prepare [SPEAKER0] Two." }.count == 2 }
        // (In either order here: this engine's prefill ahead holds nothing the job needs, the real one's holds the model.)
        #expect(Set(held.events[3...4]) == ["gave way [SPEAKER0] Two.", "make [SPEAKER0] One."])
        #expect(queue.prefillsAhead == 0)
        held.release()
        Self.waitUntil("the prefill ahead carried out") { queue.prefillsAhead == 1 }
        #expect(held.events.last == "prepared [SPEAKER0] Two." && !queue.isPrefillingAhead)

        // Done for this version of the document; a new version (an edit, a take) prefills it again.
        let count = held.events.count
        queue.prefillAhead([11], version: 1)
        usleep(800_000)
        #expect(held.events.count == count)
        queue.prefillAhead([11, 10], version: 2)
        Self.waitUntil("both lines prefilled for the new version") { queue.prefillsAhead == 3 }
        #expect(Array(held.events[count...]) == ["prepare [SPEAKER0] Two.", "prepared [SPEAKER0] Two.",
                                                 "prepare [SPEAKER0] One.", "prepared [SPEAKER0] One."])
    }
}
