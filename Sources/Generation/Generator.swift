import Foundation
import Transformer

/// Limits and sampling of one generation.
public struct GenerationOptions: Sendable, Equatable {
    /// Forward steps allowed, counted as the reference counts new tokens: every step appends one token to
    /// its sequence, including the step that opens an audio segment and every audio frame.
    public var maxNewTokens: Int
    public var sampling: SamplingOptions
    /// Generating one of these ends the generation (the reference CLI's stop strings `<|end_of_text|>`
    /// and `<|eot_id|>` are single special tokens).
    public var stopTokenIds: Set<Int>
    /// End at the first audio segment's `<|audio_eos|>` instead of going on in text mode until a stop token,
    /// as the reference does. A studio line is one segment: text after it is never heard, and a model that
    /// rambles on in text (random weights always do) would hold the take back for up to `maxNewTokens` steps.
    public var endsWithAudioSegment: Bool

    public init(maxNewTokens: Int = 2048, sampling: SamplingOptions = SamplingOptions(), stopTokenIds: Set<Int> = [],
                endsWithAudioSegment: Bool = false) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopTokenIds = stopTokenIds
        self.endsWithAudioSegment = endsWithAudioSegment
    }
}

public enum StopReason: Sendable, Equatable {
    case stopToken(Int)
    case maxNewTokens
    /// An audio segment ended and `endsWithAudioSegment` was asked for.
    case audioSegmentEnded
    case cancelled
    /// The model wrote an audio placeholder (`<|AUDIO|>` or `<|AUDIO_OUT|>`) as text, which the reference
    /// cannot continue from either.
    case placeholderToken(Int)
}

/// What one generation produced.
public struct GenerationResult: Sendable, Equatable {
    /// The tokens the reference appends to the prompt: text tokens, one `<|AUDIO_OUT|>` per audio segment,
    /// and `<|audio_eos|>` where a segment ended.
    public var tokens: [Int]
    /// Each audio segment as the model produced it: delayed layout, from its all-bos frame on.
    public var segments: [AudioCodes]
    /// What the audio decoder receives: every segment with the delay reverted, codes clipped to the
    /// codebook, its bos and eos frames removed, concatenated. The same frames `onFrame` handed out.
    public var codes: AudioCodes
    /// Forward steps run.
    public var steps: Int
    public var stopReason: StopReason
}

/// One event of a streamed generation.
public enum GenerationEvent: Sendable {
    /// A finished frame of decoder codes (one per codebook), as soon as all its codebooks are known.
    case frame([Int])
    case finished(GenerationResult)
}

/// Runs the model autoregressively as the reference's `generate` does: a prompt ending with
/// `<|audio_out_bos|>` starts an audio segment (an all-bos frame), each audio step samples one code per
/// codebook under the delay pattern (codebook `k` is held at stream bos for its first `k` frames; once a
/// stream eos appears, the lower codebooks are forced to eos and the rest follow one per frame, then
/// `<|audio_eos|>` returns to text mode), and text steps sample from the text head.
public final class Generator {
    public let model: Model
    private let session: Session
    private let lock = NSLock()
    /// The prompt whose prefill the session's cache holds (its positions are never overwritten by the
    /// steps that follow them); nil when unknown.
    private var prefilled: ModelInput?
    /// Positions of the last prompt whose keys and values came from the previous prompt's prefill.
    public private(set) var reusedPromptPositions = 0

    /// `chunkRows`: positions per prefill batch, which is also the unit in which a prompt's start is
    /// reused; 128 prefills as fast as 256 here (500 positions, q4: 150-162 against 152-156 per
    /// second; 64 drops to 142) and wastes half as much of a shared start.
    public init(model: Model, chunkRows: Int = 128) {
        self.model = model
        session = Session(model: model, capacity: 1024, chunkRows: chunkRows)
    }

    private enum Mode { case text, audioStart, audio }

    /// Generates after `prompt` (already expanded, see `AudioPlaceholders`). `onFrame` receives each
    /// finished decoder frame during generation; `isCancelled` is checked once per step.
    public func generate(
        _ prompt: ModelInput, options: GenerationOptions,
        isCancelled: () -> Bool = { false }, onFrame: ((_ frame: [Int]) -> Void)? = nil
    ) throws -> GenerationResult {
        lock.lock()
        defer { lock.unlock() }
        let c = model.configuration
        let codebooks = c.audioNumCodebooks, entries = c.audioCodebookEntries
        let bos = c.audioStreamBOSId, eos = c.audioStreamEOSId
        guard !prompt.isEmpty else { throw GenerationError("the prompt is empty") }
        guard options.maxNewTokens > 0 else { throw GenerationError("max_new_tokens must be positive, got \(options.maxNewTokens)") }
        try model.validate(prompt)
        let limit = options.maxNewTokens
        // Memory for the steps ahead is reserved up front, up to a bound; beyond it, it grows geometrically.
        let expected = min(limit, 4096)

        // A prompt that starts like the previous one (same scene, voices and earlier lines) goes on from
        // its cached prefill, in whole chunks: the chunks left then run exactly as in a full prefill, so
        // the result does not depend on what ran before. At least the last position runs (its logits).
        let shared = prefilled.map { min(prompt.sharedPrefixCount(with: $0), prompt.count - 1) } ?? 0
        reusedPromptPositions = shared / session.chunkRows * session.chunkRows
        session.truncate(to: reusedPromptPositions)
        prefilled = nil
        session.reserve(prompt.count + expected)
        let sampler = Sampler(options: options.sampling, capacity: max(c.text.vocabSize, entries))

        // The audio-out codes so far (the repetition window reads them) and the segments generated.
        var history = AudioCodes(numCodebooks: codebooks)
        history.reserveCapacity(frames: prompt.count + expected)
        for p in 0..<prompt.count where prompt.kinds[p] == .audioOut { history.append(frame: prompt.frame(at: p)) }
        var segments: [AudioCodes] = []
        var tokens: [Int] = []
        tokens.reserveCapacity(expected)
        var delay = 0                 // codebooks released from bos so far, minus one
        var remainingDelays: Int?     // frames until every codebook has reached eos

        // The last token of the reference's sequence decides the mode of each step.
        var last: Int
        switch prompt.kinds[prompt.count - 1] {
        case .text: last = prompt.tokens[prompt.count - 1]
        case .audioIn: last = c.audioInTokenId
        case .audioOut:
            // The prompt continues an audio segment: its trailing audio-out positions.
            last = c.audioOutTokenId
            var start = prompt.count
            while start > 0 && prompt.kinds[start - 1] == .audioOut { start -= 1 }
            var segment = AudioCodes(numCodebooks: codebooks)
            for p in start..<prompt.count { segment.append(frame: prompt.frame(at: p)) }
            segments.append(segment)
            let column = prompt.frame(at: prompt.count - 1)
            delay = codebooks - column.filter { $0 == bos }.count
            if let f = column.firstIndex(of: eos) { remainingDelays = codebooks - (f - column.startIndex) - 1 }
        }

        var frame = [Int](repeating: 0, count: codebooks)
        var decoded = [Int](repeating: 0, count: codebooks)
        var step = ModelInput(numCodebooks: codebooks)
        step.reserveCapacity(1)
        let lag = c.useDelayPattern ? codebooks - 1 : 0
        var steps = 0
        var reason: StopReason?
        if isCancelled() { reason = .cancelled }

        /// Hands out decoder column `column` of the current segment.
        func emit(_ column: Int) {
            guard let onFrame, column >= 1 else { return }
            let segment = segments[segments.count - 1]
            for k in 0..<codebooks {
                decoded[k] = min(max(segment[k, column + (lag == 0 ? 0 : k)], 0), c.audioCodebookSize - 1)
            }
            onFrame(decoded)
        }
        // A prompt that continues a segment has its finished frames already.
        if reason == nil, let segment = segments.last {
            for column in stride(from: 1, through: segment.frameCount - 1 - lag, by: 1) { emit(column) }
        }

        while reason == nil {
            let mode: Mode = last == c.audioOutBOSTokenId ? .audioStart : (last == c.audioOutTokenId ? .audio : .text)
            let head: OutputHead = mode == .audio ? .audio : (mode == .text ? .text : .none)
            if steps == 0 {
                try session.append(prompt.positions(reusedPromptPositions..<prompt.count), head: head)
                prefilled = prompt
            } else {
                step.removeAll()
                if mode == .audio {
                    for k in 0..<codebooks { frame[k] = history[k, history.frameCount - 1] }
                    step.appendAudio(.audioOut, frame: frame)
                } else {
                    step.appendText(last)
                }
                try session.append(step, head: head)
            }

            var next: Int
            switch mode {
            case .audioStart:
                next = c.audioOutTokenId
                for k in 0..<codebooks { frame[k] = bos }
                var segment = AudioCodes(numCodebooks: codebooks)
                segment.reserveCapacity(frames: expected)
                segments.append(segment)
            case .audio:
                sampler.sampleFrame(session.audioLogits, entries: entries, history: history, into: &frame)
                next = c.audioOutTokenId
                if c.useDelayPattern {
                    if delay + 1 < codebooks {
                        for k in (delay + 1)..<codebooks { frame[k] = bos }
                        delay += 1
                    }
                    if let r = remainingDelays {
                        for k in 0..<(codebooks - r) { frame[k] = eos }
                        remainingDelays = r - 1
                    } else if let f = frame.firstIndex(of: eos) {
                        // The first codebook to reach eos ends the ones below it too.
                        for k in 0..<f { frame[k] = eos }
                        remainingDelays = codebooks - f - 1
                    }
                    if let r = remainingDelays, r <= 0 {
                        next = c.audioEOSTokenId
                        delay = 0
                        remainingDelays = nil
                    }
                }
            case .text:
                next = sampler.sample(session.textLogits)
            }
            if mode != .text {
                history.append(frame: frame)
                segments[segments.count - 1].append(frame: frame)
            }
            // The reference keeps a single <|AUDIO_OUT|> per segment in its sequence.
            if mode != .audio || next != c.audioOutTokenId {
                tokens.append(next)
                last = next
            }
            steps += 1

            if options.stopTokenIds.contains(next) {
                reason = .stopToken(next)
            } else if options.endsWithAudioSegment && mode == .audio && next == c.audioEOSTokenId {
                reason = .audioSegmentEnded
            } else if steps >= limit {
                reason = .maxNewTokens
            } else if mode == .text && (next == c.audioInTokenId || next == c.audioOutTokenId) {
                reason = .placeholderToken(next)
            } else if isCancelled() {
                reason = .cancelled
            }

            // A decoder frame is finished once its last codebook's code exists; the segment's final column
            // is dropped (it holds the eos frame), so only hand out frames of a segment that goes on.
            if mode != .text && reason == nil && next != c.audioEOSTokenId {
                emit(segments[segments.count - 1].frameCount - 1 - lag)
            }
        }

        var codes = AudioCodes(numCodebooks: codebooks)
        for segment in segments {
            codes.append(contentsOf: DelayPattern.decoderFrames(of: segment, codebookSize: c.audioCodebookSize,
                                                                delayed: c.useDelayPattern))
        }
        return GenerationResult(tokens: tokens, segments: segments, codes: codes, steps: steps, stopReason: reason!)
    }

    /// Generates on a thread of its own and streams each finished frame, then the result. Ending the
    /// stream's consumption (or cancelling its task) stops the generation within one step.
    public func stream(_ prompt: ModelInput, options: GenerationOptions) -> AsyncThrowingStream<GenerationEvent, Error> {
        let flag = CancellationFlag()
        return AsyncThrowingStream { continuation in
            continuation.onTermination = { _ in flag.cancel() }
            let thread = Thread { [self] in
                do {
                    let result = try generate(prompt, options: options, isCancelled: { flag.isCancelled }) { frame in
                        continuation.yield(.frame(frame))
                    }
                    continuation.yield(.finished(result))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

/// A flag set from one thread and read from another.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func cancel() { lock.withLock { value = true } }
    var isCancelled: Bool { lock.withLock { value } }
}
