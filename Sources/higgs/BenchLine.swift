import ArgumentParser
import Foundation
import Generation
import Kernels
import Playback
import Studio
import Transformer

/// `higgs bench line`: one script line the way the studio speaks it (prompt, prefill, audio steps,
/// sampling, the streaming codec), timed as a listener would hear it.
struct BenchLine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "line",
        abstract: "Time one line through the studio's engine and streaming codec, as a listener would hear it.",
        discussion: """
            Needs a model and an audio tokenizer folder: `higgs bench --keep --scratch S` leaves a random \
            full-size model in S/model, `higgs bench codec --write-random-tokenizer T` writes a tokenizer. \
            Random weights say nothing but take as long as real ones.
            """
    )

    @Option(help: "The generation model folder.")
    var model: String

    @Option(name: .customLong("audio-tokenizer"), help: "The audio tokenizer folder.")
    var audioTokenizer: String

    @Option(help: "bf16, q8 or q4.")
    var precision = EngineSynthesizer.defaultPrecision.rawValue

    @Option(help: "Threads for the kernels and OpenBLAS.")
    var threads = ThreadCount.defaultCount

    @Option(help: "Frames to generate at most (25 a second).")
    var frames = 250

    @Option(help: "The quantized weights' cache folder (default: the studio's, under ~/.cache).")
    var weightsCache: String?

    @Option(help: "Lines spoken; each is reported.")
    var runs = 2

    @Option(help: "Frames of a previous line given as context (random codes), as the studio gives the line before; 0 for none.")
    var contextFrames = 0

    @Option(help: "Also time this many takes of the line made together (the studio's 3r) against one after another.")
    var takes = 1

    @Option(help: "Also time this many scenes of three lines made beside each other, as the studio's queue makes them, against every line one after another.")
    var beside = 1

    @Flag(help: "Prefill each line's prompt ahead before asking for it, as the studio does for the line under the cursor while nothing is generated (timed apart).")
    var prefillAhead = false

    func run() throws {
        guard let precision = WeightPrecision(rawValue: precision) else { throw ValidationError("unknown precision '\(self.precision)'") }
        let cache = weightsCache.map { QuantizedWeightCache(folder: URL(fileURLWithPath: $0)) } ?? .standard
        var start = Date()
        let synthesizer = try EngineSynthesizer(modelFolder: URL(fileURLWithPath: model), audioTokenizerFolder: URL(fileURLWithPath: audioTokenizer),
                                                precision: precision, threads: threads, cache: cache)
        print(String(format: "loaded %@ at %@ on %d threads in %.1f s", model, precision.rawValue, threads, Date().timeIntervalSince(start)))
        var random = SeededRandom(seed: 7)
        let previous = contextFrames > 0
            ? [GeneratedLine(transcript: "[SPEAKER0] Every evening the harbour bell rang twice, and nobody knew why.",
                             codes: try AudioCodes(rows: (0..<AudioFormat.codebooks).map { _ in
                                 (0..<contextFrames).map { _ in Int(random.next() % 1024) }
                             }))]
            : []
        let studioLead = PlaybackLead(sampleRate: AudioFormat.sampleRate)
        let sampling = SamplingSettings(temperature: 0.7, topK: 50, topP: 0.95, rasWindow: 7, rasRepeats: 2, maxNewTokens: frames)
        for run in 0..<max(1, runs) {
            let request = LineRequest(transcript: "[SPEAKER0] The lighthouse keeper counted the ships until the fog rolled in.",
                                      speaker: 0, voices: [.automatic], speakerTags: ["SPEAKER0"], scene: nil,
                                      sampling: sampling, seed: UInt64(run + 1))
            var frameTimes: [Double] = []
            var pieces: [(time: Double, samples: Int)] = []
            // The codec's batches follow what this listener has waiting, as they follow the studio's player.
            var listening = Listener(lead: studioLead)
            if prefillAhead {
                start = Date()
                try synthesizer.prepare(request, context: previous, isCancelled: { false })
                print(String(format: "line %d: prefilled ahead in %.2f s", run + 1, Date().timeIntervalSince(start)))
            }
            start = Date()
            let take = try synthesizer.synthesize(
                request, context: previous, onProgress: { _ in frameTimes.append(Date().timeIntervalSince(start)) },
                onAudio: { pcm in
                    let now = Date().timeIntervalSince(start)
                    pieces.append((now, pcm.count))
                    listening.arrive(seconds: Double(pcm.count) / Double(AudioFormat.sampleRate), at: now, final: false)
                },
                listenerLead: { listening.ahead(at: Date().timeIntervalSince(start)) },
                isCancelled: { false })
            let total = Date().timeIntervalSince(start)
            let audio = Double(take.samples.count) / Double(AudioFormat.sampleRate)
            guard let firstFrame = frameTimes.first, let firstAudio = pieces.first?.time, frameTimes.count > 1 else {
                print("line \(run + 1): no audio (\(frameTimes.count) frames)")
                continue
            }
            // From the first frame to the last (with the codec's pieces between), against the audio they make.
            // After its audio a random model writes text until --frames tokens (a real one stops), so the
            // codec's last piece is taken to come with the last frame.
            let lastFrame = frameTimes.last!
            let generating = lastFrame - firstFrame
            let rtf = generating / (Double(frameTimes.count - 1) / Double(AudioFormat.frameRate))
            var heardPieces = pieces
            heardPieces[heardPieces.count - 1].time = min(heardPieces[heardPieces.count - 1].time, lastFrame)
            let listener = Listener.replay(heardPieces, lead: studioLead)
            let eager = Listener.replay(heardPieces, lead: PlaybackLead(initial: 0, maximum: 0))
            // A piece comes out of the codec right after the frame that completed its batch was reported.
            let streamed = pieces.dropLast()
            let codecSeconds = streamed.reduce(0.0) { sum, piece in
                sum + piece.time - (frameTimes.last { $0 <= piece.time } ?? piece.time)
            }
            print(String(format: "line %d: %d frames, %.2f s of audio; first frame after %.2f s, first audio after %.2f s, last frame after %.2f s (%.2f s in all)",
                         run + 1, frameTimes.count, audio, firstFrame, firstAudio, lastFrame, total))
            print(String(format: "  from the first frame on: %.1f ms a frame with the codec, RTF %.2f; the codec's pieces before the last: %.2f ms a frame",
                         1000 * generating / Double(frameTimes.count - 1), rtf, 1000 * codecSeconds / Double(max(1, frameTimes.count - 1))))
            print("  codec pieces (frames): " + pieces.map { String(format: "%.0f", Double($0.samples) / Double(AudioFormat.samplesPerFrame)) }.joined(separator: " "))
            print(String(format: "  a listener (the studio's lead, from %.1f s): hears it %.2f s after asking, pauses %d time%@ (%.2f s in all), last lead asked %.1f s;"
                         + " playing each piece at once: %.2f s, %d pause%@ (%.2f s)",
                         Listener(lead: studioLead).leadAsked, listener.started ?? lastFrame, listener.pauses, listener.pauses == 1 ? "" : "s",
                         listener.paused, listener.leadAsked, eager.started ?? lastFrame, eager.pauses, eager.pauses == 1 ? "" : "s", eager.paused))
        }
        if takes > 1 {
            let request = LineRequest(transcript: "[SPEAKER0] The lighthouse keeper counted the ships until the fog rolled in.",
                                      speaker: 0, voices: [.automatic], speakerTags: ["SPEAKER0"], scene: nil, sampling: sampling, seed: 1)
            let seeds = (1...takes).map { UInt64($0) }
            start = Date()
            let together = try synthesizer.synthesize(request, seeds: seeds, context: previous, onProgress: { _ in }, onAudio: { _ in },
                                                      listenerLead: { nil }, isCancelled: { false })
            let togetherSeconds = Date().timeIntervalSince(start)
            start = Date()
            var frames = 0
            for seed in seeds {
                var alone = request
                alone.seed = seed
                frames += try Self.framesOf(alone, by: synthesizer, context: previous)
            }
            let aloneSeconds = Date().timeIntervalSince(start)
            print(String(format: "%d takes of the line: together %.1f s (%d frames), one after another %.1f s (%d frames): %.2fx",
                         takes, togetherSeconds, together.map(\.codes.frameCount).reduce(0, +), aloneSeconds, frames,
                         aloneSeconds / togetherSeconds))
        }
        if beside > 1 {
            // Greedy, so that both runs make the same frames: sampled lines made beside each other part ways
            // with their runs alone after a while (see `Generator`), and random weights end a line anywhere.
            var greedy = sampling
            greedy.temperature = 0
            try timeBeside(synthesizer, sampling: greedy, context: previous)
        }
    }

    /// The frames of one take of `request`, made with nobody listening.
    private static func framesOf(_ request: LineRequest, by synthesizer: EngineSynthesizer, context: [GeneratedLine]) throws -> Int {
        try synthesizer.synthesize(request, context: context, onProgress: { _ in }, onAudio: { _ in }, listenerLead: { nil },
                                   isCancelled: { false }).codes.frameCount
    }

    /// `beside` scenes of three lines each, every scene's lines made in turn on a thread of its own (as the
    /// studio's queue makes a line of another scene beside the line running; their generations share the
    /// engine's steps), against all the lines one after another.
    private func timeBeside(_ synthesizer: EngineSynthesizer, sampling: SamplingSettings, context: [GeneratedLine]) throws {
        let texts = ["The lighthouse keeper counted the ships until the fog rolled in.", "Nobody on the pier had seen the tide go out so far.",
                     "By morning the whole village knew about the letter.", "She folded the map twice and hid it under the floorboard.",
                     "The baker left the door open for the cat again.", "Two bells, then silence, then the sound of oars."]
        let linesPerScene = 3
        let scenes = (0..<beside).map { scene in
            (0..<linesPerScene).map { k in
                let i = scene * linesPerScene + k
                return LineRequest(transcript: "[SPEAKER0] " + texts[i % texts.count] + (i < texts.count ? "" : " Again, \(i)."), speaker: 0,
                                   voices: [.automatic], speakerTags: ["SPEAKER0"], scene: nil, sampling: sampling, seed: UInt64(i + 1))
            }
        }
        @Sendable func make(_ request: LineRequest) throws -> Int { try Self.framesOf(request, by: synthesizer, context: context) }
        final class Outcome: @unchecked Sendable { var frames = 0, failure: Error? }
        let outcomes = scenes.map { _ in Outcome() }
        let group = DispatchGroup()
        let start = Date()
        for (lines, outcome) in zip(scenes, outcomes) {
            group.enter()
            Thread {
                do {
                    for line in lines { outcome.frames += try make(line) }
                } catch {
                    outcome.failure = error
                }
                group.leave()
            }.start()
        }
        group.wait()
        let besideSeconds = Date().timeIntervalSince(start)
        if let failure = outcomes.lazy.compactMap(\.failure).first { throw failure }
        let aloneStart = Date()
        let frames = try scenes.joined().map(make).reduce(0, +)
        let aloneSeconds = Date().timeIntervalSince(aloneStart)
        let besideFrames = outcomes.map(\.frames).reduce(0, +)
        let besidePace = besideSeconds / Double(max(1, besideFrames)), alonePace = aloneSeconds / Double(max(1, frames))
        print(String(format: "%d scenes of %d lines beside each other: %.1f s for %d frames (%.1f ms a frame), one line after another %.1f s for %d (%.1f ms): %.2fx",
                     beside, linesPerScene, besideSeconds, besideFrames, 1000 * besidePace, aloneSeconds, frames, 1000 * alonePace,
                     alonePace / besidePace))
    }

    /// A listener to audio arriving in pieces through a player holding back `PlaybackLead`: when playback
    /// starts, how often and how long it pauses, and what it has waiting. The device's buffer is left out.
    struct Listener {
        private var lead: PlaybackLead
        private let rate = Double(AudioFormat.sampleRate)
        /// Seconds of audio arrived, and heard by `since`, the wall time playback was last brought up to date
        /// (nil while it waits).
        private var arrived = 0.0, heard = 0.0
        private var since: Double?
        private var stalledAt = 0.0
        private(set) var started: Double?
        private(set) var pauses = 0, paused = 0.0

        init(lead: PlaybackLead) { self.lead = lead }

        /// Seconds of lead the player asks for now.
        var leadAsked: Double { Double(lead.required) / rate }

        /// Plays on up to `time`, or runs dry on the way.
        mutating func advance(to time: Double) {
            guard let from = since else { return }
            let reach = heard + (time - from)
            if reach >= arrived {
                stalledAt = from + (arrived - heard)
                heard = arrived
                since = nil
                pauses += 1
                lead.sourceRanDry()
            } else {
                heard = reach
                since = time
                lead.played(ahead: Int((arrived - heard) * rate))
            }
        }

        /// A piece of `seconds` arrives at `time`; `final` when nothing follows it.
        mutating func arrive(seconds: Double, at time: Double, final: Bool) {
            advance(to: time)
            arrived += seconds
            if since == nil && lead.mayPlay(ahead: Int((arrived - heard) * rate), ended: final) {
                if started == nil { started = time } else { paused += time - stalledAt }
                since = time
            }
        }

        /// Samples waiting for the listener at `time`.
        mutating func ahead(at time: Double) -> Int {
            advance(to: time)
            return Int((arrived - heard) * rate)
        }

        /// The listener of `pieces` (arrival time, samples) through `lead`.
        static func replay(_ pieces: [(time: Double, samples: Int)], lead: PlaybackLead) -> Listener {
            var listener = Listener(lead: lead)
            for (i, piece) in pieces.enumerated() {
                listener.arrive(seconds: Double(piece.samples) / listener.rate, at: piece.time, final: i == pieces.count - 1)
            }
            return listener
        }
    }
}
