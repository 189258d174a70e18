import AudioCodec
import Engine
import Foundation
import Generation
import Kernels
import Prompt
import Transformer

/// The studio's voice: the in-process engine and the audio tokenizer behind `LineSynthesizer`.
///
/// A line is one chunk of the reference's speaker chunking: its transcript normalised as the reference
/// normalises the script (event tags to their `<SE>` forms, whitespace), the base prompt built from the
/// scene and cast, and the previous lines as user/assistant turns with their codes. The reference's
/// "." after a transcript that ends without a mark is left out: it would only ever touch the script's
/// last line, and a line's take should not change when a line is added after it. Frames are decoded
/// as they arrive, so the line plays while it is generated, in batches that follow the audio waiting
/// for the listener (`DecodePacing`).
public final class EngineSynthesizer: LineSynthesizer, @unchecked Sendable {
    public let engineDescription: EngineDescription
    private let engine: SpeechEngine
    private let codec: AudioTokenizer

    /// Positions of the last line's prompt that were not prefilled again (see `SpeechEngine.reusedPromptPositions`).
    public var reusedPromptPositions: Int { engine.reusedPromptPositions }

    /// The precision the studio uses when none is asked for: the fastest, real time or near it on two cores.
    public static let defaultPrecision = WeightPrecision.q4

    /// Loads the checkpoints the location names, with its precision and threads; `status` hears what a
    /// long load is doing (quantizing the weights on a first start).
    public convenience init(_ location: EngineLocation, status: ((String) -> Void)? = nil) throws {
        let precision = try location.precision.map { name -> WeightPrecision in
            guard let p = WeightPrecision(rawValue: name) else { throw StudioError("unknown precision '\(name)' (bf16, q8 or q4)") }
            return p
        } ?? Self.defaultPrecision
        try self.init(modelFolder: location.model, audioTokenizerFolder: location.audioTokenizer,
                      precision: precision, threads: location.threads, display: location.display, status: status)
    }

    public init(modelFolder: URL, audioTokenizerFolder: URL, precision: WeightPrecision, threads: Int? = nil,
                cache: QuantizedWeightCache = .standard, display: (URL) -> String = { $0.path },
                status: ((String) -> Void)? = nil) throws {
        if let threads { ThreadPool.setSharedThreads(threads) }
        let codec = try AudioTokenizer(folder: audioTokenizerFolder)
        let voiceCodes = VoiceCodeCache(tokenizer: codec)
        var percent = -1
        let name = display(modelFolder)
        engine = try SpeechEngine(modelFolder: modelFolder, precision: precision, cache: cache,
                                  clipCodes: { _, audio in try voiceCodes.codes(forClip: audio) },
                                  quantizing: { fraction in
            guard let status, Int(fraction * 100) != percent else { return }
            percent = Int(fraction * 100)
            status(Self.quantizingStatus(name, precision: precision, fraction: fraction))
        })
        let c = engine.model.configuration
        guard c.audioCodebookSize == codec.codebookSize, c.audioNumCodebooks == codec.codebookCount else {
            throw StudioError("\(display(modelFolder)) makes \(c.audioNumCodebooks) codebooks of \(c.audioCodebookSize) codes "
                              + "but \(display(audioTokenizerFolder)) decodes \(codec.codebookCount) of \(codec.codebookSize)")
        }
        self.codec = codec
        engineDescription = EngineDescription(modelPath: modelFolder.path, audioTokenizerPath: audioTokenizerFolder.path,
                                              precision: precision.rawValue, threads: ThreadCount.current)
    }

    /// The engine line while a first start quantizes the weights (and then writes them for later starts).
    public static func quantizingStatus(_ model: String, precision: WeightPrecision, fraction: Double) -> String {
        fraction >= 1 ? "quantized \(model) to \(precision.rawValue); writing them for later starts"
            : "quantizing \(model) to \(precision.rawValue): \(Int(fraction * 100))% (first start; later starts read the cache)"
    }

    /// Takes generated together at most: a step of four takes at q4 took 1.4-1.5 times a step of one on
    /// the development VM, of two 1.1-1.3 times (`higgs bench model --together`); with more, the first
    /// take, the one heard as it comes, comes more slowly, and each take holds a KV cache of its own.
    public let takesTogether = 4

    public func synthesize(_ line: LineRequest, seeds: [UInt64], context: [GeneratedLine],
                           onProgress: (SynthesisProgress) -> Void,
                           onAudio: ([Float]) -> Void,
                           listenerLead: () -> Int?,
                           isCancelled: () -> Bool) throws -> [GeneratedTake] {
        var takes: [GeneratedTake] = []
        for start in stride(from: 0, to: seeds.count, by: takesTogether) {
            let batch = Array(seeds[start..<min(seeds.count, start + takesTogether)])
            let heard = start == 0
            takes += try synthesizeTogether(line, seeds: batch, context: context, onProgress: heard ? onProgress : { _ in },
                                            onAudio: heard ? onAudio : { _ in }, listenerLead: heard ? listenerLead : { nil },
                                            isCancelled: isCancelled)
        }
        return takes
    }

    public func prepare(_ line: LineRequest, context: [GeneratedLine], isCancelled: () -> Bool) throws {
        let (conversation, previous) = Self.conversation(of: line, context: context)
        try engine.prepare(Transcript.normalize(line.transcript, finalPunctuation: false), context: conversation,
                           previous: previous, forceAudio: true, isCancelled: isCancelled)
    }

    /// The scene, voices and earlier lines a line is spoken after, as the engine takes them.
    private static func conversation(of line: LineRequest, context: [GeneratedLine]) -> (GenerationContext, [SpokenChunk]) {
        (GenerationContext(scene: line.scene, voices: line.voices, speakerTags: line.speakerTags),
         context.map { SpokenChunk(text: Transcript.normalize($0.transcript, finalPunctuation: false), promptIds: [], codes: $0.codes) })
    }

    /// One batch of takes: the first decoded as it comes and paced by its listener, the others decoded
    /// as they come in the largest batches.
    private func synthesizeTogether(_ line: LineRequest, seeds: [UInt64], context: [GeneratedLine],
                                    onProgress: (SynthesisProgress) -> Void,
                                    onAudio: ([Float]) -> Void,
                                    listenerLead: () -> Int?,
                                    isCancelled: () -> Bool) throws -> [GeneratedTake] {
        // Lines of several jobs may be made at once: their generations share the engine's steps, and each
        // call decodes its own takes.
        let (conversation, previous) = Self.conversation(of: line, context: context)
        let s = line.sampling
        let options = seeds.map { seed in
            SpeechEngine.Options(sampling: SamplingOptions(temperature: Float(s.temperature), topK: s.topK > 0 ? s.topK : nil, topP: s.topP,
                                                           rasWindowLength: max(0, s.rasWindow), rasMaxRepeats: s.rasRepeats, seed: seed),
                                 maxNewTokens: min(s.maxNewTokens, line.stepLimit ?? .max), forceAudio: true, endsWithAudioSegment: true)
        }

        let decoders = seeds.indices.map { codec.streamingDecoder(batchFrames: $0 == 0 ? DecodePacing.fewestFrames : DecodePacing.mostFrames) }
        var samples = [[Float]](repeating: [], count: seeds.count)
        var frames = 0
        var decodeFailure: Error?
        // The engine's frame callback may escape in its signature; these three are only used during the call.
        let spoken = try withoutActuallyEscaping(onProgress) { onProgress in
            try withoutActuallyEscaping(onAudio) { onAudio in
                try withoutActuallyEscaping(listenerLead) { listenerLead in
                    func deliver(_ pcm: [Float], take: Int) {
                        guard !pcm.isEmpty else { return }
                        samples[take] += pcm
                        guard take == 0 else { return }
                        onAudio(pcm)
                        let ahead = listenerLead().map { Double($0) / Double(codec.sampleRate) }
                        decoders[0].batchFrames = DecodePacing.batchFrames(ahead: ahead)
                    }
                    let spoken = try engine.speak(
                        Transcript.normalize(line.transcript, finalPunctuation: false), context: conversation, previous: previous,
                        takes: options, isCancelled: { isCancelled() || decodeFailure != nil },
                        onFrame: { take, frame in
                            if take == 0 {
                                frames += 1
                                onProgress(SynthesisProgress(frames: frames))
                            }
                            do { deliver(try decoders[take].append(frame: frame), take: take) } catch { decodeFailure = error }
                        })
                    if decodeFailure == nil && !spoken.contains(where: { $0.stopReason == .cancelled }) {
                        for take in spoken.indices { deliver(decoders[take].finish(), take: take) }
                    }
                    return spoken
                }
            }
        }
        if let decodeFailure { throw decodeFailure }
        if spoken.contains(where: { $0.stopReason == .cancelled }) || isCancelled() { throw CancellationError() }
        return zip(spoken, samples).map { spoken, samples in
            GeneratedTake(codes: spoken.codes, samples: samples, promptIDs: spoken.promptIds, cut: spoken.stopReason == .maxNewTokens,
                          atMaxNewTokens: s.maxNewTokens < (line.stepLimit ?? .max))
        }
    }
}
