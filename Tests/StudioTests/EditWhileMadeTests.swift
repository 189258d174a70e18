import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// A line edited while it is made: what was begun for its old words stops, and its new words are made, on the
/// real engine (explore pass 5, B1: the old words used to be made to the end, and the line left without a take).
@Suite(.serialized) struct EditWhileMadeTests {
    /// The engine, with the transcripts it was asked for; a line's first frame can hold until told.
    final class Watched: LineSynthesizer, @unchecked Sendable {
        let engine: EngineSynthesizer
        private let lock = NSLock()
        private(set) var events: [String] = []
        var onFirstFrame: ((String) -> Void)?

        init(_ engine: EngineSynthesizer) { self.engine = engine }

        var engineDescription: EngineDescription { engine.engineDescription }
        var takesTogether: Int { engine.takesTogether }

        func synthesize(_ line: LineRequest, seeds: [UInt64], context: [GeneratedLine], onProgress: (SynthesisProgress) -> Void,
                        onAudio: ([Float]) -> Void, listenerLead: () -> Int?, isCancelled: () -> Bool) throws -> [GeneratedTake] {
            lock.withLock { events.append("start " + line.transcript) }
            do {
                let takes = try engine.synthesize(line, seeds: seeds, context: context, onProgress: { progress in
                    if progress.frames == 1 { onFirstFrame?(line.transcript) }
                    onProgress(progress)
                }, onAudio: onAudio, listenerLead: listenerLead, isCancelled: isCancelled)
                lock.withLock { events.append("made " + line.transcript) }
                return takes
            } catch {
                lock.withLock { events.append("stopped " + line.transcript) }
                throw error
            }
        }
    }

    final class Document: @unchecked Sendable {
        private let lock = NSLock()
        private var script: [String]
        private var chosen = GenerationSettings()
        init(_ script: [String]) { self.script = script }
        var lines: [String] {
            get { lock.withLock { script } }
            set { lock.withLock { script = newValue } }
        }
        var settings: GenerationSettings {
            get { lock.withLock { chosen } }
            set { lock.withLock { chosen = newValue } }
        }
    }

    /// A document of Ann's lines on the engine of the test model, and a queue of its takes (ids 10, 11, ...).
    struct Studio {
        let document: Document
        let takes: TakeStore
        let queue: GenerationQueue
        let folder: URL

        init(_ script: [String], synthesizer: LineSynthesizer) throws {
            let document = Document(script)
            document.settings.maxNewTokens = 40
            folder = try Fixtures.temporaryFolder("higgs-edit-while-made")
            let takes = TakeStore(folder: folder.appendingPathComponent("d.takes"))
            self.document = document
            self.takes = takes
            queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(synthesizer)),
                                    document: { Self.snapshot(document, takes) })
        }

        static func snapshot(_ document: Document, _ takes: TakeStore) -> DocumentSnapshot {
            let lines = document.lines
            let planner = DialoguePlanner(project: Project(cast: [CastMember(name: "Ann", voice: .automatic)], settings: document.settings,
                                                           script: lines),
                                          voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []), takes: takes,
                                          fingerprints: ClipFingerprints())
            return DocumentSnapshot(planner: planner, lineIDs: lines.indices.map { 10 + $0 })
        }

        var snapshot: DocumentSnapshot { Self.snapshot(document, takes) }

        func isCurrent(_ line: Int) -> Bool { snapshot.planner.plan(line: line)?.isCurrent == true }

        func end() {
            queue.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    static func engine() throws -> Watched {
        Watched(try EngineSynthesizer(modelFolder: EngineSynthesizerTests.model, audioTokenizerFolder: EngineSynthesizerTests.audioTokenizer,
                                      precision: .bf16, cache: .disabled))
    }

    @Test func anEditWhileTheLineIsMadeMakesItsNewWords() throws {
        let engine = try EngineSynthesizer(modelFolder: EngineSynthesizerTests.model, audioTokenizerFolder: EngineSynthesizerTests.audioTokenizer,
                                           precision: .bf16, cache: .disabled)
        let watched = Watched(engine)
        var settings = GenerationSettings()
        settings.maxNewTokens = 40
        let document = Document(["[Ann] One.", "[Ann] Two."])
        let folder = try Fixtures.temporaryFolder("higgs-edit-while-made")
        defer { try? FileManager.default.removeItem(at: folder) }
        let takes = TakeStore(folder: folder.appendingPathComponent("d.takes"))
        let planner = {
            DialoguePlanner(project: Project(cast: [CastMember(name: "Ann", voice: .automatic)], settings: settings, script: document.lines),
                            voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []), takes: takes,
                            fingerprints: ClipFingerprints())
        }
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(watched)),
                                    document: { DocumentSnapshot(planner: planner(), lineIDs: [10, 11]) })
        let oldKey = try #require(planner().plan(line: 1)?.key)
        // At the old words' first frame the line is edited; the frame holds long enough for the queue to look.
        watched.onFirstFrame = { transcript in
            guard transcript.hasSuffix("Two.") else { return }
            document.lines[1] = "[Ann] Two, said again."
            usleep(400_000)
        }
        queue.generate([11])
        #expect(queue.jobs.waitUntilIdle(timeout: 120))
        let newKey = try #require(planner().plan(line: 1)?.key)
        guard case .done(.take(let info, cached: false))? = queue.state(.line(11)) else {
            Issue.record("\(String(describing: queue.state(.line(11))))")
            return
        }
        #expect(info.key == newKey && planner().plan(line: 1)?.isCurrent == true)
        #expect(!takes.hasTake(oldKey))
        #expect(watched.events == ["start [SPEAKER0] Two.", "stopped [SPEAKER0] Two.",
                                   "start [SPEAKER0] Two, said again.", "made [SPEAKER0] Two, said again."], "\(watched.events)")
        // The model's pace once the prompt was read is apart from the line's (prompt and all), and not slower.
        let pace = try #require(queue.pace.stepPace)
        let linePace = try #require(queue.pace.framesPerSecond)
        #expect(pace.promptSeconds > 0 && pace.framesPerSecond >= linePace)
        queue.stop()
    }

    /// A setting changed while a line is made: the take would be out of date as it ends, so the line is made anew
    /// with the new setting.
    @Test func aSettingChangedWhileALineIsMadeMakesItWithTheNewSetting() throws {
        let watched = try Self.engine()
        let studio = try Studio(["[Ann] One."], synthesizer: watched)
        defer { studio.end() }
        // Until a line is made, estimates take an earlier session's pace; then this one's.
        var earlier = GenerationPace()
        earlier.add(frames: 2, seconds: 100, prompt: 99)
        studio.queue.earlierPace = earlier
        #expect(studio.queue.estimatingPace?.pace == earlier && studio.queue.estimatingPace?.earlier == true)
        let firstFrames = Counter()
        watched.onFirstFrame = { _ in
            guard firstFrames.next() == 1 else { return }
            studio.document.settings.temperature = 0.7
            usleep(400_000)
        }
        studio.queue.generate([10])
        #expect(studio.queue.jobs.waitUntilIdle(timeout: 120))
        guard case .done(.take(let info, cached: false))? = studio.queue.state(.line(10)) else {
            Issue.record("\(String(describing: studio.queue.state(.line(10))))")
            return
        }
        #expect(info.key == studio.snapshot.planner.plan(line: 0)?.key && studio.isCurrent(0))
        #expect(studio.queue.estimatingPace?.pace == studio.queue.pace && studio.queue.estimatingPace?.earlier == false)
        #expect(studio.queue.pace.lines == 1)
        #expect(watched.events == ["start [SPEAKER0] One.", "stopped [SPEAKER0] One.", "start [SPEAKER0] One.", "made [SPEAKER0] One."],
                "\(watched.events)")
    }

    /// A setting changed during a run (`A`) once it has made lines: those are out of date, and the run is planned
    /// again (explore pass 5, B5: the queue went on making the lines after them with context about to change).
    /// Before any line of it is made, the line being made starts again by itself and the run goes on.
    @Test func aSettingChangedDuringARunMakesItsLinesAgainInOrder() throws {
        let watched = try Self.engine()
        let studio = try Studio(["[Ann] One.", "[Ann] Two.", "[Ann] Three."], synthesizer: watched)
        defer { studio.end() }
        let run = GenerationRun([10, 11, 12])
        let isActive = { (id: Int) in studio.queue.state(.line(id))?.isActive == true }
        let replans = Replans()
        let firstFrames = Counter()
        watched.onFirstFrame = { transcript in
            let n = firstFrames.next()
            guard n == 1 || (n == 3 && transcript.hasSuffix("Two.")) else { return }
            let before = studio.snapshot
            studio.document.settings.temperature = n == 1 ? 0.8 : 0.6
            let lines = run.replanned(from: before, to: studio.snapshot, isActive: isActive)
            replans.add(lines)
            if let lines { studio.queue.replan(run.lines, making: lines) }
            if n == 1 { usleep(400_000) }  // long enough for the line's watch to look
        }
        studio.queue.generate(run.lines)
        #expect(studio.queue.jobs.waitUntilIdle(timeout: 240))
        #expect(replans.all == [nil, [10, 11, 12]], "\(replans.all)")
        #expect((0..<3).allSatisfy(studio.isCurrent))
        // Line 1 needs nothing of line 2, so it may start again before line 2's cancelled run has stopped.
        var events = watched.events
        let stoppedTwo = events.indices.filter { events[$0] == "stopped [SPEAKER0] Two." }
        #expect(stoppedTwo.count == 1 && stoppedTwo[0] > 4, "\(events)")
        events.removeAll { $0 == "stopped [SPEAKER0] Two." }
        #expect(events == ["start [SPEAKER0] One.", "stopped [SPEAKER0] One.", "start [SPEAKER0] One.", "made [SPEAKER0] One.",
                           "start [SPEAKER0] Two.",
                           "start [SPEAKER0] One.", "made [SPEAKER0] One.", "start [SPEAKER0] Two.", "made [SPEAKER0] Two.",
                           "start [SPEAKER0] Three.", "made [SPEAKER0] Three."], "\(watched.events)")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func next() -> Int { lock.withLock { count += 1; return count } }
    }

    final class Replans: @unchecked Sendable {
        private let lock = NSLock()
        private var replans: [[Int]?] = []
        func add(_ lines: [Int]?) { lock.withLock { replans.append(lines) } }
        var all: [[Int]?] { lock.withLock { replans } }
    }
}
