import Foundation
import Generation
import Prompt

/// What the studio needs from the generation engine: speak one script line, given the lines before it.
///
/// The studio generates a dialogue the way the reference's `speaker` chunking does: each line is a chunk,
/// the base prompt (system message with scene and voices, reference clips) is the same for every line, and
/// the previous lines (their text and codes, within the chunk buffer) are the context, as user/assistant
/// turns. An adapter over the engine implements this; the studio never sees tokens or tensors.
public protocol LineSynthesizer: AnyObject, Sendable {
    /// For the status line: which model runs, how.
    var engineDescription: EngineDescription { get }

    /// Generates the audio of `line`.
    /// - Parameters:
    ///   - context: the previous lines, oldest first, already cut to the chunk buffer.
    ///   - onProgress: called after each finished frame (all 8 codebooks known).
    ///   - onAudio: called with each new piece of 24 kHz PCM as soon as it is decoded, in order; the pieces
    ///     concatenated equal the take's `samples` (this is what plays while the line is generated).
    ///   - listenerLead: polled after each piece: the samples given out that the listener has not heard
    ///     yet, nil when nobody listens (the codec's batches follow it, see `DecodePacing`).
    ///   - isCancelled: polled at least once per step; when it returns true, throw `CancellationError`.
    /// - Returns: the take: its codes (`GenerationResult.codes`: delay pattern reverted, stream bos/eos
    ///   frames removed, as the codes file stores a chunk) and its PCM.
    func synthesize(_ line: LineRequest, context: [GeneratedLine],
                    onProgress: (SynthesisProgress) -> Void,
                    onAudio: ([Float]) -> Void,
                    listenerLead: () -> Int?,
                    isCancelled: () -> Bool) throws -> GeneratedTake

    /// How many takes `synthesize(_:seeds:...)` makes at once at most (more are made in turn).
    var takesTogether: Int { get }

    /// Generates one take of `line` for each of `seeds` (in place of the line's own seed), at once where
    /// the engine can: a step of several takes costs much less than a step of each. The first take is the
    /// one heard: its frames go to `onProgress` and its audio to `onAudio` as they come; the others come
    /// with the result. Cancelling stops them all (`CancellationError`).
    func synthesize(_ line: LineRequest, seeds: [UInt64], context: [GeneratedLine],
                    onProgress: (SynthesisProgress) -> Void,
                    onAudio: ([Float]) -> Void,
                    listenerLead: () -> Int?,
                    isCancelled: () -> Bool) throws -> [GeneratedTake]

    /// Prefills the start of `line`'s prompt while nothing is generated, so that generating it later begins
    /// sooner (the studio does this for the line under the cursor). Gives way to any generation asked for
    /// meanwhile, and stops when `isCancelled` says so.
    func prepare(_ line: LineRequest, context: [GeneratedLine], isCancelled: () -> Bool) throws
}

extension LineSynthesizer {
    /// One take with the line's own seed: the first of `synthesize(_:seeds:...)`.
    public func synthesize(_ line: LineRequest, context: [GeneratedLine],
                           onProgress: (SynthesisProgress) -> Void,
                           onAudio: ([Float]) -> Void,
                           listenerLead: () -> Int?,
                           isCancelled: () -> Bool) throws -> GeneratedTake {
        try synthesize(line, seeds: [line.seed], context: context, onProgress: onProgress, onAudio: onAudio,
                       listenerLead: listenerLead, isCancelled: isCancelled)[0]
    }

    /// Nothing to prefill ahead (an engine without a prompt cache).
    public func prepare(_ line: LineRequest, context: [GeneratedLine], isCancelled: () -> Bool) throws {}
}

/// The engine as the status line shows it.
public struct EngineDescription: Equatable, Sendable {
    public var modelPath: String
    public var audioTokenizerPath: String
    /// `bf16`, `q8`, `q4`, ...
    public var precision: String
    public var threads: Int

    public init(modelPath: String, audioTokenizerPath: String, precision: String, threads: Int) {
        self.modelPath = modelPath
        self.audioTokenizerPath = audioTokenizerPath
        self.precision = precision
        self.threads = threads
    }
}

/// One line to speak, with everything that shapes its prompt. Speaker names are already mapped to tags.
public struct LineRequest: Equatable, Hashable, Sendable {
    /// The line as the reference's transcript would hold it: `[SPEAKERn] ` + the text (event tags as
    /// written, e.g. `[laugh]`), or the bare text for a line without a speaker. Not yet normalised: the
    /// engine applies the reference's transcript normalisation.
    public var transcript: String
    /// The `n` of this line's `[SPEAKERn]`, nil when the script has no speakers.
    public var speaker: Int?
    /// The voice of `SPEAKERi` at index `i`; as long as the highest tag the script uses (tags past the
    /// cast are `.automatic`). Empty when the script has no speaker tags and no cast.
    public var voices: [ResolvedVoice]
    /// Every `SPEAKERn` tag of the whole script, in the reference's order (sorted as strings): the system
    /// message depends on them (multi-speaker default text, feminine/masculine alternation).
    public var speakerTags: [String]
    /// The scene description, nil for none.
    public var scene: String?
    public var sampling: SamplingSettings
    public var seed: UInt64
    /// The most steps the take may run, below `sampling.maxNewTokens` (`SpeakingTime`); nil for none. Not
    /// part of the take's key: a take that ends by itself is the same whatever the limit was.
    public var stepLimit: Int?

    public init(transcript: String, speaker: Int?, voices: [ResolvedVoice], speakerTags: [String], scene: String?,
                sampling: SamplingSettings, seed: UInt64, stepLimit: Int? = nil) {
        self.transcript = transcript
        self.speaker = speaker
        self.voices = voices
        self.speakerTags = speakerTags
        self.scene = scene
        self.sampling = sampling
        self.seed = seed
        self.stepLimit = stepLimit
    }
}

/// The sampling settings of the reference CLI.
public struct SamplingSettings: Equatable, Hashable, Sendable {
    public var temperature: Double
    public var topK: Int
    public var topP: Double
    /// 0 disables repetition-aware sampling.
    public var rasWindow: Int
    public var rasRepeats: Int
    public var maxNewTokens: Int

    public init(temperature: Double, topK: Int, topP: Double, rasWindow: Int, rasRepeats: Int, maxNewTokens: Int) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.rasWindow = rasWindow
        self.rasRepeats = rasRepeats
        self.maxNewTokens = maxNewTokens
    }

    public init(_ s: GenerationSettings) {
        self.init(temperature: s.temperature, topK: s.topK, topP: s.topP, rasWindow: s.rasWindow,
                  rasRepeats: s.rasRepeats, maxNewTokens: s.maxNewTokens)
    }
}

/// A previous line given as context: its transcript (as it was requested) and its codes.
public struct GeneratedLine: Equatable, Sendable {
    public var transcript: String
    public var codes: AudioCodes

    public init(transcript: String, codes: AudioCodes) {
        self.transcript = transcript
        self.codes = codes
    }
}

/// Progress of one line: frames generated so far.
public struct SynthesisProgress: Equatable, Sendable {
    public var frames: Int

    public init(frames: Int) { self.frames = frames }

    /// Seconds of audio the frames make (25 frames per second).
    public var seconds: Double { Double(frames) / Double(AudioFormat.frameRate) }
}

/// What one generation produced.
public struct GeneratedTake: Equatable, Sendable {
    public var codes: AudioCodes
    /// Mono PCM at 24 kHz, in [-1, 1].
    public var samples: [Float]
    /// The prompt the engine built (kept in the codes file, for inspection); empty if not known.
    public var promptIDs: [Int]
    /// It ran to its step limit (`max-new-tokens`, or the runaway stop) instead of ending by itself.
    public var cut: Bool
    /// The limit it ran to was the project's `max-new-tokens`, lower than the runaway stop (or with that off): the
    /// writer's own limit, not the model running on, so it is neither made again nor called a runaway.
    public var atMaxNewTokens: Bool

    public init(codes: AudioCodes, samples: [Float], promptIDs: [Int] = [], cut: Bool = false, atMaxNewTokens: Bool = false) {
        self.codes = codes
        self.samples = samples
        self.promptIDs = promptIDs
        self.cut = cut
        self.atMaxNewTokens = cut && atMaxNewTokens
    }

    /// Cut at the runaway stop: the model ran on far past the words (made again when nobody heard it).
    public var ranOn: Bool { cut && !atMaxNewTokens }
}

/// The audio format of the model's tokenizer.
public enum AudioFormat {
    public static let sampleRate = 24_000
    public static let frameRate = 25
    public static let samplesPerFrame = 960
    public static let codebooks = 8
}
