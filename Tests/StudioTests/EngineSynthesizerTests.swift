import AudioCodec
import Engine
import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing
import Transformer

/// The studio's engine adapter on the committed random-weight model and a random audio tokenizer of
/// matching codebooks.
@Suite(.serialized) struct EngineSynthesizerTests {
    static let folder = try! Fixtures.temporaryFolder("higgs-synth")
    static let model = try! CheckpointFixtures.modelFolder(in: folder)
    static let audioTokenizer = try! CheckpointFixtures.audioTokenizer(in: folder)
    static let synthesizer = try! EngineSynthesizer(modelFolder: model, audioTokenizerFolder: audioTokenizer, precision: .bf16,
                                                    cache: .disabled)
    static let greedy = SamplingSettings(temperature: 0, topK: 0, topP: 1, rasWindow: 0, rasRepeats: 2, maxNewTokens: 70)

    /// The reference CLI's speaker-chunked dialogue (buffer 1), generated line by line as the studio does:
    /// each line a request with the previous line as context. Codes and prompts equal the reference's.
    @Test func linesWithTheirContextReproduceTheReferenceDialogue() throws {
        let cases = try Fixtures.json("EngineTests", "dialogues.json") as! [[String: Any]]
        let reference = try #require(cases.first { $0["name"] as? String == "speakers-buffer-1" })
        let scene = try SceneLibrary(folder: Fixtures.url("PromptTests", "scenes")).resolve(reference["scene"] as! String)
        let lines = (reference["transcript"] as! String).split(separator: "\n").map(String.init)
        let expected = reference["chunks"] as! [[String: Any]]
        var done: [GeneratedLine] = []
        for (i, text) in lines.enumerated() {
            let request = LineRequest(transcript: text, speaker: nil, voices: [], speakerTags: ["SPEAKER0", "SPEAKER1"],
                                      scene: scene, sampling: Self.greedy, seed: 1)
            let take = try Self.synthesizer.synthesize(request, context: Array(done.suffix(1)), onProgress: { _ in },
                                                       onAudio: { _ in }, listenerLead: { nil }, isCancelled: { false })
            #expect(take.promptIDs == expected[i]["prompt_ids"] as! [Int], "line \(i)")
            #expect(take.codes.rows == expected[i]["codes"] as! [[Int]], "line \(i)")
            done.append(GeneratedLine(transcript: text, codes: take.codes))
        }
    }

    /// A first start at q4 says how far the quantization has got (every percentage it reaches), then that
    /// it writes the cache; a start that reads the cache says nothing. The engine line shows such texts while loading, and
    /// keeps the outcome once there is one.
    @Test func aFirstStartSaysHowFarQuantizationHasGot() throws {
        let cacheFolder = try Fixtures.temporaryFolder("higgs-synth-cache")
        defer { try? FileManager.default.removeItem(at: cacheFolder) }
        final class Heard: @unchecked Sendable { var texts: [String] = [] }
        let heard = Heard()
        _ = try EngineSynthesizer(modelFolder: Self.model, audioTokenizerFolder: Self.audioTokenizer, precision: .q4,
                                  cache: QuantizedWeightCache(folder: cacheFolder), display: { $0.lastPathComponent },
                                  status: { heard.texts.append($0) })
        #expect(heard.texts.last == "quantized \(Self.model.lastPathComponent) to q4; writing them for later starts")
        let percentages = heard.texts.dropLast().map { text -> Int in
            #expect(text.hasPrefix("quantizing \(Self.model.lastPathComponent) to q4: "), "\(text)")
            return Int(text.split(separator: ":")[1].split(separator: "%")[0].trimmingCharacters(in: .whitespaces)) ?? -1
        }
        #expect(percentages.count >= 2 && percentages.last! >= 90, "\(heard.texts)")
        #expect(zip(percentages, percentages.dropFirst()).allSatisfy { $0 < $1 }, "\(percentages)")

        heard.texts = []
        _ = try EngineSynthesizer(modelFolder: Self.model, audioTokenizerFolder: Self.audioTokenizer, precision: .q4,
                                  cache: QuantizedWeightCache(folder: cacheFolder), status: { heard.texts.append($0) })
        #expect(heard.texts.isEmpty, "\(heard.texts)")

        let handle = EngineHandle(.loading("loading model"))
        handle.stillLoading("quantizing: 50%")
        guard case .loading("quantizing: 50%") = handle.state else { Issue.record("\(handle.state)"); return }
        let failed = EngineHandle(.failed("no model"))
        failed.stillLoading("quantizing: 60%")
        guard case .failed("no model") = failed.state else { Issue.record("\(failed.state)"); return }
    }

    /// The same dialogue as a studio project run through the generation queue (planner, takes, context
    /// from the chosen takes of the lines before): every line's take holds the reference's codes.
    @Test func theStudioQueueGeneratesTheReferenceDialogue() throws {
        let cases = try Fixtures.json("EngineTests", "dialogues.json") as! [[String: Any]]
        let reference = try #require(cases.first { $0["name"] as? String == "speakers-buffer-1" })
        let sceneText = try #require(try SceneLibrary(folder: Fixtures.url("PromptTests", "scenes")).resolve(reference["scene"] as! String))
        let script = (reference["transcript"] as! String).replacingOccurrences(of: "[SPEAKER0]", with: "[Ann]")
            .replacingOccurrences(of: "[SPEAKER1]", with: "[Ben]").split(separator: "\n").map(String.init)
        var settings = GenerationSettings()
        settings.temperature = 0
        settings.rasWindow = 0
        settings.chunkBuffer = 1
        settings.maxNewTokens = reference["max_new_tokens"] as! Int
        let project = Project(scene: .inline(sceneText), cast: [CastMember(name: "Ann", voice: .automatic),
                                                                CastMember(name: "Ben", voice: .automatic)],
                              settings: settings, script: script)
        let projectFolder = try Fixtures.temporaryFolder("higgs-synth-project")
        defer { try? FileManager.default.removeItem(at: projectFolder) }
        let takes = TakeStore(folder: projectFolder.appendingPathComponent("dialogue.takes"))
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: takes, fingerprints: ClipFingerprints())
        let ids = Array(0..<script.count)
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(Self.synthesizer)),
                                    document: { DocumentSnapshot(planner: planner, lineIDs: ids) })
        queue.generate(ids)
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        let expected = reference["chunks"] as! [[String: Any]]
        for i in ids {
            guard case .done(.take(let info, cached: false)) = queue.state(.line(i)) else {
                Issue.record("line \(i): \(String(describing: queue.state(.line(i))))")
                continue
            }
            #expect(try takes.codes(info.key).rows == expected[i]["codes"] as! [[Int]], "line \(i)")
        }
        queue.stop()
    }

    /// The line under the cursor, prefilled ahead while the queue is idle: its generation takes the prompt's
    /// whole chunks over, and makes the take it makes without them.
    @Test func theLineUnderTheCursorIsPrefilledAhead() throws {
        let synthesizer = try EngineSynthesizer(modelFolder: Self.model, audioTokenizerFolder: Self.audioTokenizer, precision: .bf16,
                                                cache: .disabled)
        // A long scene: the prompt runs past one prefill chunk (128 positions).
        let scene = String(repeating: "A quiet room with the soft hum of machines and rain on the window. ", count: 10)
        var settings = GenerationSettings()
        settings.temperature = 0
        settings.maxNewTokens = 40
        let project = Project(scene: .inline(scene), cast: [CastMember(name: "Ann", voice: .automatic)], settings: settings,
                              script: ["[Ann] Hello there, how are you today?"])
        let projectFolder = try Fixtures.temporaryFolder("higgs-synth-project")
        defer { try? FileManager.default.removeItem(at: projectFolder) }
        let takes = TakeStore(folder: projectFolder.appendingPathComponent("ahead.takes"))
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: takes, fingerprints: ClipFingerprints())
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(synthesizer)),
                                    document: { DocumentSnapshot(planner: planner, lineIDs: [0]) })
        defer { queue.stop() }

        queue.prefillAhead([0], version: 1)
        let deadline = Date().addingTimeInterval(60)
        while queue.prefillsAhead == 0 && Date() < deadline { usleep(10_000) }
        #expect(queue.prefillsAhead == 1)
        queue.generate([0])
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        #expect(synthesizer.reusedPromptPositions >= 128)
        guard case .done(.take(let info, cached: false)) = queue.state(.line(0)) else {
            Issue.record("\(String(describing: queue.state(.line(0))))")
            return
        }
        // The same line on an engine that prefilled nothing ahead.
        let fresh = try EngineSynthesizer(modelFolder: Self.model, audioTokenizerFolder: Self.audioTokenizer, precision: .bf16,
                                          cache: .disabled)
        let request = try #require(planner.plan(line: 0)?.request)
        let alone = try fresh.synthesize(request, context: [], onProgress: { _ in }, onAudio: { _ in }, listenerLead: { nil },
                                         isCancelled: { false })
        #expect(fresh.reusedPromptPositions == 0)
        #expect(try takes.codes(info.key) == alone.codes)
    }

    /// Audio arrives while the line is generated, in pieces as large as the listener's lead allows; the
    /// pieces are the take, and the take is the one-shot decode of its codes within -60 dB; progress
    /// counts every frame.
    @Test func audioStreamsAndIsTheDecodeOfTheCodes() throws {
        let request = LineRequest(transcript: "[SPEAKER0] Hello there, how are you?", speaker: 0, voices: [.automatic],
                                  speakerTags: ["SPEAKER0"], scene: nil, sampling: Self.greedy, seed: 3)
        func speak(listenerLead: Int?) throws -> (GeneratedTake, pieces: [[Float]], progress: [Int]) {
            var pieces: [[Float]] = []
            var progress: [Int] = []
            let take = try Self.synthesizer.synthesize(request, context: [], onProgress: { progress.append($0.frames) },
                                                       onAudio: { pieces.append($0) }, listenerLead: { listenerLead },
                                                       isCancelled: { false })
            return (take, pieces, progress)
        }
        // A listener with nothing waiting: batches of five frames throughout (the last piece is the rest).
        let (take, pieces, progress) = try speak(listenerLead: 0)
        #expect(take.codes.frameCount > 40)
        #expect(progress == Array(1...take.codes.frameCount))
        #expect(pieces.count > 5)
        #expect(pieces.dropLast().allSatisfy { $0.count <= 5 * 960 })
        #expect(pieces.flatMap { $0 } == take.samples)
        func noiseDecibels(_ a: [Float], _ b: [Float]) -> Double {
            let signal = a.reduce(0) { $0 + Double($1) * Double($1) }
            let noise = zip(a, b).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            return signal > 0 ? 10 * log10(noise / signal) : 0
        }
        // Nobody listening: after the first piece, the largest batches. The same take.
        let (alone, alonePieces, _) = try speak(listenerLead: nil)
        #expect(alone.codes == take.codes)
        #expect(alonePieces.contains { $0.count == 25 * 960 })
        #expect(alonePieces.count < pieces.count)
        #expect(alonePieces.flatMap { $0 } == alone.samples)
        #expect(alone.samples.count == take.samples.count && noiseDecibels(take.samples, alone.samples) <= -60)
        let oneShot = try AudioTokenizer(folder: Self.audioTokenizer).decode(take.codes)
        #expect(oneShot.count == take.samples.count)
        #expect(noiseDecibels(oneShot, take.samples) <= -60)
    }

    /// A take stopped at its step limit is the start of the take it would have been, marked cut; one that
    /// ends by itself is not. The store keeps the mark; the queue's retries make new takes (new seeds)
    /// at once, keeping every one and choosing the last.
    @Test func aTakeStoppedAtItsLimitIsCutAndRetried() throws {
        var sampling = Self.greedy
        sampling.maxNewTokens = 60
        let request = LineRequest(transcript: "[SPEAKER0] A long line that would take a while.", speaker: 0, voices: [.automatic],
                                  speakerTags: ["SPEAKER0"], scene: nil, sampling: sampling, seed: 3)
        func speak(_ r: LineRequest) throws -> GeneratedTake {
            try Self.synthesizer.synthesize(r, context: [], onProgress: { _ in }, onAudio: { _ in }, listenerLead: { nil },
                                            isCancelled: { false })
        }
        let whole = try speak(request)
        var limited = request
        limited.stepLimit = 30
        let cut = try speak(limited)
        #expect(cut.cut && whole.codes.frameCount > cut.codes.frameCount && cut.codes.frameCount >= 30 - 9)
        #expect(cut.codes.rows.map { Array($0) } == whole.codes.rows.map { Array($0.prefix(cut.codes.frameCount)) })
        // Ended by itself well before its limit: not cut.
        var short = request
        short.sampling.maxNewTokens = 2048
        short.stepLimit = 2000
        short.sampling.temperature = 1
        let ended = try speak(short)
        #expect(!ended.cut && ended.codes.frameCount < 2000 - 9, "\(ended.codes.frameCount) frames")

        // Through the queue, with a project whose takes all run on to the runaway stop (the random model does not
        // end these lines with these seeds). One stopped by max-new-tokens is not retried (RenderCommandTests).
        let projectFolder = try Fixtures.temporaryFolder("higgs-synth-cut")
        defer { try? FileManager.default.removeItem(at: projectFolder) }
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] One line, said at length.", "[Ann] Another."])
        let takesFolder = projectFolder.appendingPathComponent("cut.takes")
        let takes = TakeStore(folder: takesFolder)
        let planner = { DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                        takes: takes, fingerprints: ClipFingerprints()) }
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(Self.synthesizer)),
                                    document: { DocumentSnapshot(planner: planner(), lineIDs: [0, 1]) })
        queue.retriesOfCutTakes = 2
        let seeds = Counter(from: 1_000)
        queue.newSeed = { seeds.next() }
        queue.generate([0])
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        guard case .done(.take(let info, cached: false)) = queue.state(.line(0)) else {
            Issue.record("\(String(describing: queue.state(.line(0))))")
            return
        }
        let reread = TakeStore(folder: takesFolder).takes(for: planner().identity(line: 0), transcript: planner().transcript(line: 0))
        #expect(reread.takes.count == 3 && reread.takes.allSatisfy(\.cut))
        #expect(reread.takes.map(\.reseeded) == [false, true, true])
        #expect(reread.chosen == reread.takes.last?.key && info.key == reread.chosen)
        queue.stop()
        // A take someone listens to as it comes is not retried. A player follows the line's audio from the moment
        // it appears; the engine waits for it, as a loaded machine can keep the player from looking for a while
        // (unheard, this line's third take, seed 1003, ends by itself).
        let heardQueue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(WaitsForItsListener(Self.synthesizer))),
                                         document: { DocumentSnapshot(planner: planner(), lineIDs: [0, 1]) })
        heardQueue.retriesOfCutTakes = 3
        heardQueue.newSeed = { seeds.next() }
        let done = SharedFlag()
        let listener = Thread {
            while !done.value { _ = heardQueue.liveAudio(.line(1))?.available(from: 0) }
        }
        listener.start()
        heardQueue.generate([1])
        #expect(heardQueue.jobs.waitUntilIdle(timeout: 60))
        done.value = true
        let attempts = planner().takes(line: 1).takes
        #expect(attempts.count == 1 && attempts[0].cut, "\(attempts.map { ($0.seed, $0.cut) })")
        #expect(heardQueue.liveAudio(.line(1))?.wasFollowed == true)
        heardQueue.stop()
    }

    /// `3r`: several takes of a line asked for at once are made together as one job, each with a new seed,
    /// the last chosen; a cut one is made again without counting, and the screen can tell which takes are
    /// being made.
    @Test func severalTakesAskedForAtOnce() throws {
        let projectFolder = try Fixtures.temporaryFolder("higgs-synth-takes")
        defer { try? FileManager.default.removeItem(at: projectFolder) }
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] Read it three ways.", "[Ann] And this twice."])
        let takes = TakeStore(folder: projectFolder.appendingPathComponent("takes.takes"))
        let planner = { DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                        takes: takes, fingerprints: ClipFingerprints()) }
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(Self.synthesizer)),
                                    document: { DocumentSnapshot(planner: planner(), lineIDs: [0, 1]) })
        let seeds = Counter(from: 500)
        queue.newSeed = { seeds.next() }
        let seen = Log()
        let done = SharedFlag()
        let watcher = Thread {
            while !done.value {
                if let t = queue.takeInProgress(of: 0) { seen.add(t.first, t.last, of: t.of) }
            }
        }
        watcher.start()
        queue.makeTakes(3, of: 0)
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        done.value = true
        let made = planner().takes(line: 0)
        #expect(made.takes.map(\.seed) == [500, 501, 502] && made.takes.allSatisfy(\.reseeded))
        #expect(made.chosen == made.takes.last?.key)
        guard case .done(.take(let info, cached: false)) = queue.state(.line(0)) else {
            Issue.record("\(String(describing: queue.state(.line(0))))")
            return
        }
        #expect(info.key == made.chosen)
        let numbers = seen.all
        // The three were made together.
        #expect(!numbers.isEmpty && numbers.allSatisfy { $0.first == 1 && $0.last == 3 && $0.of == 3 })
        #expect(queue.takeInProgress(of: 0) == nil)

        // Each of two takes that runs on to the runaway stop is made again once (with these seeds one of the two
        // does, the other ends by itself).
        queue.retriesOfCutTakes = 1
        queue.makeTakes(2, of: 1)
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        let second = planner().takes(line: 1).takes
        let ranOn = second.prefix(2).filter(\.ranOn).count
        #expect(ranOn > 0 && second.count == 2 + ranOn, "\(second.count) takes")
        #expect(second.map(\.seed) == Array(503..<503 + UInt64(second.count)))
        queue.stop()
    }

    /// A line whose take was made with a new seed keeps that seed when it is made again (its context changed), and
    /// the new take is up to date: the seed it was made with is the one the line is planned with next.
    @Test func aLineMadeAgainWithItsNewSeedIsUpToDate() throws {
        let projectFolder = try Fixtures.temporaryFolder("higgs-synth-seed")
        defer { try? FileManager.default.removeItem(at: projectFolder) }
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] First.", "[Ann] Second."])
        let takes = TakeStore(folder: projectFolder.appendingPathComponent("takes.takes"))
        let planner = { DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                        takes: takes, fingerprints: ClipFingerprints()) }
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(Self.synthesizer)),
                                    document: { DocumentSnapshot(planner: planner(), lineIDs: [0, 1]) })
        defer { queue.stop() }
        let seeds = Counter(from: 700)
        queue.newSeed = { seeds.next() }
        queue.generate([0])
        queue.generate([1], reseed: true)
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        #expect(planner().plan(line: 1)?.take?.seed == 700 && planner().plan(line: 1)?.isCurrent == true)
        // Line 1 with a new take: line 2's context changed, and it is made again, with its seed.
        queue.generate([0], reseed: true)
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        #expect(planner().plan(line: 1)?.isCurrent == false)
        queue.generate([1])
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        let second = try #require(planner().plan(line: 1))
        #expect(second.takes.takes.count == 2 && second.take?.seed == 700 && second.take?.reseeded == true)
        #expect(second.isCurrent)
    }

    /// Auditions are jobs of a voice and a text: the same voice saying two texts is two jobs, each with its
    /// own audio (the pronunciation list's `l` says a line as it will be said; the voice list's, a sentence).
    @Test func auditionsOfOneVoiceSayTheirOwnTexts() throws {
        let library = VoiceLibrary(clips: [], profiles: [])
        let takes = TakeStore(folder: Self.folder.appendingPathComponent("auditions.takes"))
        let planner = DialoguePlanner(project: Project(), voices: library, scenes: SceneLibrary(scenes: []), takes: takes,
                                      fingerprints: ClipFingerprints())
        let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(Self.synthesizer)),
                                    document: { DocumentSnapshot(planner: planner, lineIDs: []) })
        queue.audition(.automatic, library: library)
        queue.audition(.automatic, library: library, text: "Shiv-awn called.")
        #expect(queue.jobs.waitUntilIdle(timeout: 60))
        let sentence = GenerationJob.audition(.automatic, text: GenerationQueue.auditionSentence)
        let word = GenerationJob.audition(.automatic, text: "Shiv-awn called.")
        for (job, text) in [(sentence, GenerationQueue.auditionSentence), (word, "Shiv-awn called.")] {
            guard case .done(.audition(let seconds)) = queue.state(job) else { Issue.record("\(String(describing: queue.state(job)))"); continue }
            #expect(seconds > 0 && queue.liveAudio(job)?.count == Int((seconds * 24_000).rounded()))
            // The random model runs on with these seeds: an audition stops where a line of its words would (it ran
            // to max-new-tokens).
            #expect(seconds <= SpeakingTime.limit(forSaying: text) + 0.1 && seconds > SpeakingTime.limit(forSaying: text) - 1, "\(seconds) s")
        }
        queue.stop()
    }

    /// Takes made together (four at a time, here in two rounds) are the takes their seeds make alone: the
    /// same codes and the same audio up to rounding, though only the first is decoded as it comes (paced by
    /// its listener) and the others in the largest batches. The first is the one heard and counted. With q8
    /// weights on rows this short the steps together compute exactly what a step alone does, so sampled
    /// takes stay equal to the last frame.
    @Test func takesMadeTogetherAreTheirSeedsTakes() throws {
        let synthesizer = try EngineSynthesizer(modelFolder: Self.model, audioTokenizerFolder: Self.audioTokenizer, precision: .q8,
                                                cache: .disabled)
        var sampling = Self.greedy
        (sampling.temperature, sampling.topK, sampling.topP, sampling.rasWindow) = (1, 50, 0.95, 7)
        let request = LineRequest(transcript: "[SPEAKER0] Read it five ways.", speaker: 0, voices: [.automatic],
                                  speakerTags: ["SPEAKER0"], scene: nil, sampling: sampling, seed: 1)
        let seeds: [UInt64] = [21, 22, 23, 24, 25]
        var heard: [Float] = []
        var frames = 0
        let together = try synthesizer.synthesize(request, seeds: seeds, context: [], onProgress: { frames = $0.frames },
                                                  onAudio: { heard += $0 }, listenerLead: { nil }, isCancelled: { false })
        #expect(together.count == seeds.count && synthesizer.takesTogether == 4)
        for (seed, take) in zip(seeds, together) {
            var alone = request
            alone.seed = seed
            let single = try synthesizer.synthesize(alone, context: [], onProgress: { _ in }, onAudio: { _ in }, listenerLead: { nil },
                                                    isCancelled: { false })
            #expect(take.codes == single.codes && take.cut == single.cut && take.promptIDs == single.promptIDs, "seed \(seed)")
            // Decoded in other batches, the audio differs by rounding alone (the convolutions group their work
            // by the length decoded).
            #expect(take.samples.count == single.samples.count, "seed \(seed)")
            let rounding = zip(take.samples, single.samples).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            #expect(rounding < 1e-4, "seed \(seed): \(rounding)")
        }
        #expect(heard == together[0].samples && frames == together[0].codes.frameCount)
        #expect(Set(together.map { $0.codes.frame(0) }).count > 1, "the seeds make different takes")
    }

    @Test func cancellingStopsTheLine() throws {
        let request = LineRequest(transcript: "[SPEAKER0] A long line that would take a while.", speaker: 0, voices: [.automatic],
                                  speakerTags: ["SPEAKER0"], scene: nil, sampling: Self.greedy, seed: 3)
        var frames = 0
        #expect(throws: CancellationError.self) {
            try Self.synthesizer.synthesize(request, context: [], onProgress: { frames = $0.frames }, onAudio: { _ in },
                                            listenerLead: { nil }, isCancelled: { frames >= 5 })
        }
        #expect(frames == 5)
    }

    @Test func codebooksMustMatch() throws {
        let small = try CheckpointFixtures.audioTokenizer(in: Self.folder, bins: 256)
        #expect(throws: StudioError.self) {
            try EngineSynthesizer(modelFolder: Self.model, audioTokenizerFolder: small, precision: .bf16, cache: .disabled)
        }
        #expect(Self.synthesizer.engineDescription.precision == "bf16")
    }
}

/// The real engine, whose first take, once it has audio, waits until a player follows it (30 s at most).
private final class WaitsForItsListener: LineSynthesizer, @unchecked Sendable {
    let engine: EngineSynthesizer
    init(_ engine: EngineSynthesizer) { self.engine = engine }

    var engineDescription: EngineDescription { engine.engineDescription }
    var takesTogether: Int { engine.takesTogether }

    func synthesize(_ line: LineRequest, seeds: [UInt64], context: [GeneratedLine], onProgress: (SynthesisProgress) -> Void,
                    onAudio: ([Float]) -> Void, listenerLead: () -> Int?, isCancelled: () -> Bool) throws -> [GeneratedTake] {
        var followed = false
        return try engine.synthesize(line, seeds: seeds, context: context, onProgress: onProgress, onAudio: { pcm in
            onAudio(pcm)
            let deadline = Date().addingTimeInterval(30)
            while !followed && listenerLead() == nil && Date() < deadline { usleep(1000) }
            followed = true
        }, listenerLead: listenerLead, isCancelled: isCancelled)
    }
}

/// Seeds one after another, from any thread.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64
    init(from start: UInt64) { value = start }
    func next() -> UInt64 { lock.lock(); defer { value += 1; lock.unlock() }; return value }
}

private final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(first: Int, last: Int, of: Int)] = []
    func add(_ first: Int, _ last: Int, of: Int) {
        lock.lock()
        if items.last.map({ $0 != (first, last, of) }) ?? true { items.append((first, last, of)) }
        lock.unlock()
    }
    var all: [(first: Int, last: Int, of: Int)] { lock.lock(); defer { lock.unlock() }; return items }
}

