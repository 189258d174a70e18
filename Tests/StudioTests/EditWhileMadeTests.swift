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
        init(_ script: [String]) { self.script = script }
        var lines: [String] {
            get { lock.withLock { script } }
            set { lock.withLock { script = newValue } }
        }
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
        let pace = try #require(queue.stepPace)
        let linePace = try #require(queue.framesPerSecond)
        #expect(pace.promptSeconds > 0 && pace.framesPerSecond >= linePace)
        queue.stop()
    }
}
