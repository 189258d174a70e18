import Foundation
import Transformer

/// One generation between its steps: what the next step runs, and what each step's logits lead to. The
/// rules are the reference's `generate` (see `Generator`); the model runs outside, so that several
/// streams can step together.
struct GenerationStream {
    private enum Mode { case text, audioStart, audio }

    let prompt: ModelInput
    let options: GenerationOptions
    private let c: Configuration
    private let sampler: Sampler
    private let onFrame: ((_ frame: [Int]) -> Void)?
    private let codebooks: Int
    private let lag: Int

    /// The audio-out codes so far (the repetition window reads them) and the segments generated.
    private var history: AudioCodes
    private var segments: [AudioCodes] = []
    private var tokens: [Int] = []
    private var delay = 0                 // codebooks released from bos so far, minus one
    private var remainingDelays: Int?     // frames until every codebook has reached eos
    /// The last token of the reference's sequence: it decides the mode of each step.
    private var last: Int
    private var frame: [Int]
    private var decoded: [Int]
    private(set) var steps = 0
    private(set) var reason: StopReason?

    /// Steps reserved for up front; beyond it, memory grows geometrically.
    let expectedSteps: Int

    init(prompt: ModelInput, options: GenerationOptions, configuration c: Configuration,
         onFrame: ((_ frame: [Int]) -> Void)?) throws {
        guard !prompt.isEmpty else { throw GenerationError("the prompt is empty") }
        guard options.maxNewTokens > 0 else { throw GenerationError("max_new_tokens must be positive, got \(options.maxNewTokens)") }
        self.prompt = prompt
        self.options = options
        self.c = c
        self.onFrame = onFrame
        codebooks = c.audioNumCodebooks
        lag = c.useDelayPattern ? codebooks - 1 : 0
        sampler = Sampler(options: options.sampling, capacity: max(c.text.vocabSize, c.audioCodebookEntries))
        frame = [Int](repeating: 0, count: codebooks)
        decoded = frame
        expectedSteps = min(options.maxNewTokens, 4096)
        history = AudioCodes(numCodebooks: codebooks)
        history.reserveCapacity(frames: prompt.count + expectedSteps)
        for p in 0..<prompt.count where prompt.kinds[p] == .audioOut { history.append(frame: prompt.frame(at: p)) }
        tokens.reserveCapacity(expectedSteps)

        let bos = c.audioStreamBOSId, eos = c.audioStreamEOSId
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
    }

    /// Stops before the next step (a cancellation before the first).
    mutating func cancel() { if reason == nil { reason = .cancelled } }

    /// Hands out the finished frames of the segment the prompt continues, if any.
    mutating func emitPromptFrames() {
        guard reason == nil, let segment = segments.last else { return }
        for column in stride(from: 1, through: segment.frameCount - 1 - lag, by: 1) { emit(column) }
    }

    private var mode: Mode {
        last == c.audioOutBOSTokenId ? .audioStart : (last == c.audioOutTokenId ? .audio : .text)
    }

    /// The head the next step evaluates.
    var head: OutputHead {
        switch mode {
        case .audio: return .audio
        case .text: return .text
        case .audioStart: return .none
        }
    }

    /// The position the next step runs (after the first, which runs the prompt).
    mutating func nextInput(into step: inout ModelInput) {
        step.removeAll()
        if mode == .audio {
            for k in 0..<codebooks { frame[k] = history[k, history.frameCount - 1] }
            step.appendAudio(.audioOut, frame: frame)
        } else {
            step.appendText(last)
        }
    }

    /// Takes the step's outcome from `session`'s logits: samples, applies the delay pattern, checks the
    /// stop conditions (`isCancelled` last) and hands out a finished frame.
    mutating func advance(_ session: Session, isCancelled: () -> Bool) {
        let mode = self.mode
        let bos = c.audioStreamBOSId, eos = c.audioStreamEOSId
        var next: Int
        switch mode {
        case .audioStart:
            next = c.audioOutTokenId
            for k in 0..<codebooks { frame[k] = bos }
            var segment = AudioCodes(numCodebooks: codebooks)
            segment.reserveCapacity(frames: expectedSteps)
            segments.append(segment)
        case .audio:
            sampler.sampleFrame(session.audioLogits, entries: c.audioCodebookEntries, history: history, into: &frame)
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
        } else if steps >= options.maxNewTokens {
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

    /// Hands out decoder column `column` of the current segment.
    private mutating func emit(_ column: Int) {
        guard let onFrame, column >= 1 else { return }
        let segment = segments[segments.count - 1]
        for k in 0..<codebooks {
            decoded[k] = min(max(segment[k, column + (lag == 0 ? 0 : k)], 0), c.audioCodebookSize - 1)
        }
        onFrame(decoded)
    }

    /// What the generation produced (once `reason` is set).
    func result() -> GenerationResult {
        var codes = AudioCodes(numCodebooks: codebooks)
        for segment in segments {
            codes.append(contentsOf: DelayPattern.decoderFrames(of: segment, codebookSize: c.audioCodebookSize,
                                                                delayed: c.useDelayPattern))
        }
        return GenerationResult(tokens: tokens, segments: segments, codes: codes, steps: steps, stopReason: reason!)
    }
}
