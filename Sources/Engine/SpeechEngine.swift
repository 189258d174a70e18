import Foundation
import Checkpoint
import Generation
import Kernels
import Prompt
import TextTokenizer
import Transformer

/// The pipeline from script to audio codes: prompt building, the generation model and the generation
/// loop, in-process. One chunk (a line) at a time: `speak` generates one chunk given the context;
/// `speakDialogue` runs the reference CLI's loop over a whole transcript.
public final class SpeechEngine: @unchecked Sendable {
    public let modelFolder: URL
    public let model: Model
    public let tokenizer: BPETokenizer
    let chat: ChatMLEncoder
    let generator: Generator
    let stopTokens: Set<Int>
    /// Codes of a reference clip (the audio tokenizer's encoder behind a cache); nil without one.
    let clipCodes: ((_ name: String, _ audio: URL) throws -> AudioCodes)?

    /// Loads the generation model (`config.json`, safetensors weights) and its `tokenizer.json`.
    /// - clipCodes: encodes reference voice clips; without it a clip voice is an error.
    /// - quantizing: hears the fraction of the weights quantized when q8 or q4 is not in the cache yet.
    public init(modelFolder: URL, precision: WeightPrecision = .bf16, cache: QuantizedWeightCache = .standard,
                clipCodes: ((_ name: String, _ audio: URL) throws -> AudioCodes)? = nil,
                quantizing: ((Double) -> Void)? = nil) throws {
        self.modelFolder = modelFolder
        tokenizer = try BPETokenizer(modelFolder: modelFolder)
        model = try Model.load(folder: modelFolder, precision: precision, cache: cache, progress: quantizing)
        chat = ChatMLEncoder(tokenizer: tokenizer)
        generator = Generator(model: model)
        let tokenizer = self.tokenizer
        stopTokens = Set(["<|end_of_text|>", "<|eot_id|>"].compactMap { tokenizer.id(of: $0) })
        self.clipCodes = clipCodes
        try checkSpecialTokens()
    }

    /// Positions of the last chunk's prompt whose keys and values came from an earlier prefill (an earlier
    /// chunk's, or one `prepare` made ahead).
    public var reusedPromptPositions: Int { generator.reusedPromptPositions }

    /// The model's audio token ids must be the tokenizer's, or prompts would address the wrong embeddings.
    private func checkSpecialTokens() throws {
        let c = model.configuration
        for (token, id) in [("<|AUDIO|>", c.audioInTokenId), ("<|AUDIO_OUT|>", c.audioOutTokenId),
                            ("<|audio_out_bos|>", c.audioOutBOSTokenId), ("<|audio_eos|>", c.audioEOSTokenId)]
        where tokenizer.id(of: token) != id {
            throw CheckpointError(url: modelFolder, "config.json gives \(token) the id \(id), tokenizer.json \(tokenizer.id(of: token).map(String.init) ?? "none")")
        }
    }

    /// How one chunk is generated.
    public struct Options: Sendable, Equatable {
        public var sampling: SamplingOptions
        /// Steps allowed per chunk, counted as the reference counts new tokens.
        public var maxNewTokens: Int
        /// End the prompt with `<|audio_out_bos|>` (the serve engine's behaviour) rather than letting the
        /// model choose between text and audio (the reference CLI's).
        public var forceAudio: Bool
        /// End the chunk when its audio ends (the studio's lines) rather than when the model stops writing
        /// text after it (the reference CLI's; see `GenerationOptions.endsWithAudioSegment`).
        public var endsWithAudioSegment: Bool

        public init(sampling: SamplingOptions = SamplingOptions(), maxNewTokens: Int = 2048, forceAudio: Bool = true,
                    endsWithAudioSegment: Bool = false) {
            self.sampling = sampling
            self.maxNewTokens = maxNewTokens
            self.forceAudio = forceAudio
            self.endsWithAudioSegment = endsWithAudioSegment
        }
    }

    /// Generates the audio of `chunk` (a normalised transcript piece) after the conversation `context`
    /// and the earlier chunks `previous` (oldest first, already cut to the buffer window).
    /// - onFrame: each finished frame of codes (one per codebook), as soon as it exists.
    /// - isCancelled: polled once per step; a cancelled chunk returns what it had, marked `.cancelled`.
    public func speak(
        _ chunk: String, context: GenerationContext, previous: [SpokenChunk] = [], options: Options = Options(),
        isCancelled: () -> Bool = { false }, onFrame: (([Int]) -> Void)? = nil
    ) throws -> SpokenChunk {
        try speak(chunk, context: context, previous: previous, takes: [options], isCancelled: isCancelled,
                  onFrame: onFrame.map { handler in { _, frame in handler(frame) } })[0]
    }

    /// Generates several takes of `chunk` at once, one per element of `takes` (their seeds differ): the
    /// prompt is prefilled once and every step runs all the takes still going, reading the weights once
    /// for all (see `Generator.generate(_ requests:)`). Each take is what `speak` gives with its options.
    /// `onFrame` hears the take's index with each of its frames.
    public func speak(
        _ chunk: String, context: GenerationContext, previous: [SpokenChunk] = [], takes: [Options],
        isCancelled: () -> Bool = { false }, onFrame: ((_ take: Int, _ frame: [Int]) -> Void)? = nil
    ) throws -> [SpokenChunk] {
        guard let first = takes.first else { return [] }
        precondition(takes.allSatisfy { $0.forceAudio == first.forceAudio }, "the takes of a chunk share its prompt")
        let (prompt, input) = try prompt(for: chunk, context: context, previous: previous, forceAudio: first.forceAudio)
        let requests = takes.map { options in
            (input, GenerationOptions(maxNewTokens: options.maxNewTokens, sampling: options.sampling, stopTokenIds: stopTokens,
                                      endsWithAudioSegment: options.endsWithAudioSegment))
        }
        let results = try generator.generate(requests, isCancelled: isCancelled, onFrame: onFrame)
        return results.map {
            SpokenChunk(text: chunk, promptIds: prompt.ids, codes: $0.codes, steps: $0.steps, stopReason: $0.stopReason)
        }
    }

    /// Prefills the start of the prompt `speak` would give the model for `chunk`, while nothing is generated,
    /// so that speaking it later begins sooner (see `Generator.prepare`): the studio does this for the line
    /// under the cursor. Stops when a generation asks to run or `isCancelled` says so. Returns the positions held.
    @discardableResult
    public func prepare(_ chunk: String, context: GenerationContext, previous: [SpokenChunk] = [], forceAudio: Bool = true,
                        isCancelled: () -> Bool = { false }) throws -> Int {
        let (_, input) = try prompt(for: chunk, context: context, previous: previous, forceAudio: forceAudio)
        return try generator.prepare(input, isCancelled: isCancelled)
    }

    /// The chat prompt of a chunk, and the model's input with its audio placeholders filled in.
    private func prompt(for chunk: String, context: GenerationContext, previous: [SpokenChunk],
                        forceAudio: Bool) throws -> (EncodedPrompt, ModelInput) {
        let prompt = chat.encode(context.messages(forChunk: chunk, after: previous.map(\.text)), forceAudio: forceAudio)
        var clips: [String: AudioCodes] = [:]
        for voice in context.voices {
            guard case .clip(let name, let audio, _) = voice, clips[name] == nil else { continue }
            guard let clipCodes else {
                throw PromptError("voice clip '\(name)' needs the audio tokenizer (--audio-tokenizer) to encode \(audio.path)")
            }
            clips[name] = try clipCodes(name, audio)
        }
        let audio = prompt.audio.map { reference -> AudioCodes in
            switch reference {
            case .voice(let name): return clips[name]!
            case .generated(let i): return previous[i].codes
            }
        }
        return (prompt, try AudioPlaceholders.expand(tokens: prompt.ids, audio: audio, configuration: model.configuration))
    }

    /// A whole transcript, as the reference CLI generates it.
    public struct Dialogue: Sendable {
        public var transcript: String
        public var scene: String?
        /// The voice of `SPEAKERi` at index `i` (empty: the model picks voices).
        public var voices: [ResolvedVoice]
        public var referenceAudioInSystemMessage: Bool
        public var chunkMethod: ChunkMethod
        /// Generated chunks kept as context (`generation_chunk_buffer_size`); nil keeps all.
        public var bufferSize: Int?

        public init(transcript: String, scene: String? = nil, voices: [ResolvedVoice] = [],
                    referenceAudioInSystemMessage: Bool = false, chunkMethod: ChunkMethod = .none, bufferSize: Int? = nil) {
            self.transcript = transcript
            self.scene = scene
            self.voices = voices
            self.referenceAudioInSystemMessage = referenceAudioInSystemMessage
            self.chunkMethod = chunkMethod
            self.bufferSize = bufferSize
        }

        /// The normalised transcript's chunks, and the context they share.
        public func plan() throws -> (chunks: [String], context: GenerationContext) {
            let tags = Transcript.speakerTags(in: transcript)
            let chunks = try chunkMethod.chunks(of: Transcript.normalize(transcript))
            let context = GenerationContext(scene: scene, voices: voices, speakerTags: tags,
                                            referenceAudioInSystemMessage: referenceAudioInSystemMessage)
            return (chunks, context)
        }
    }

    /// Generates every chunk of `dialogue` in turn, each with the newest `bufferSize` generated chunks
    /// as context, re-seeding the sampler with the same seed for every chunk as the reference does.
    /// `onChunk(i, count)` announces each chunk before it starts.
    public func speak(
        _ dialogue: Dialogue, options: Options = Options(), isCancelled: () -> Bool = { false },
        onChunk: ((Int, Int) -> Void)? = nil, onFrame: (([Int]) -> Void)? = nil
    ) throws -> [SpokenChunk] {
        let (chunks, context) = try dialogue.plan()
        var spoken: [SpokenChunk] = []
        for (i, chunk) in chunks.enumerated() {
            onChunk?(i, chunks.count)
            let kept = dialogue.bufferSize.map { max(0, spoken.count - $0) } ?? 0
            let result = try speak(chunk, context: context, previous: Array(spoken[kept...]), options: options,
                                   isCancelled: isCancelled, onFrame: onFrame)
            spoken.append(result)
            if result.stopReason == .cancelled { break }
        }
        return spoken
    }
}

/// A generated chunk: its text, the prompt it was generated from, and its codes (what the audio
/// decoder receives: delay pattern reverted, stream bos/eos frames removed).
public struct SpokenChunk: Sendable, Equatable {
    public var text: String
    public var promptIds: [Int]
    public var codes: AudioCodes
    public var steps: Int
    public var stopReason: StopReason

    public init(text: String, promptIds: [Int], codes: AudioCodes, steps: Int = 0, stopReason: StopReason = .maxNewTokens) {
        self.text = text
        self.promptIds = promptIds
        self.codes = codes
        self.steps = steps
        self.stopReason = stopReason
    }
}
