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
    /// Sessions of the generations that run beside the first in a batch (made when first needed, kept).
    private var companions: [Session] = []
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

    /// Generates after `prompt` (already expanded, see `AudioPlaceholders`). `onFrame` receives each
    /// finished decoder frame during generation; `isCancelled` is checked once per step.
    public func generate(
        _ prompt: ModelInput, options: GenerationOptions,
        isCancelled: () -> Bool = { false }, onFrame: ((_ frame: [Int]) -> Void)? = nil
    ) throws -> GenerationResult {
        try generate([(prompt, options)], isCancelled: isCancelled, onFrame: onFrame.map { handler in { _, frame in handler(frame) } })[0]
    }

    /// Runs several independent generations at once (takes of one line with different seeds, or lines
    /// with no context between them): each step runs one position of every generation still going in one
    /// pass, which reads the weights once for all of them. Each result is what `generate` would give for its
    /// request alone up to the last bits of the products, which add a long row's blocks in another order
    /// with several inputs: a sampled generation can part ways with its request's run alone after a while.
    /// A request's prompt start shared with an earlier request's is prefilled once. `onFrame` hears the
    /// request's index with each of its frames.
    public func generate(
        _ requests: [(prompt: ModelInput, options: GenerationOptions)],
        isCancelled: () -> Bool = { false }, onFrame: ((_ request: Int, _ frame: [Int]) -> Void)? = nil
    ) throws -> [GenerationResult] {
        lock.lock()
        defer { lock.unlock() }
        guard !requests.isEmpty else { return [] }
        // A step runs one row per generation in the first session's workspace.
        guard requests.count <= session.chunkRows else {
            throw GenerationError("\(requests.count) generations at once; at most \(session.chunkRows) (the prefill chunk's rows)")
        }
        var streams: [GenerationStream] = []
        for (i, request) in requests.enumerated() {
            try model.validate(request.prompt)
            streams.append(try GenerationStream(prompt: request.prompt, options: request.options, configuration: model.configuration,
                                                onFrame: onFrame.map { handler in { frame in handler(i, frame) } }))
        }
        while companions.count < requests.count - 1 {
            companions.append(Session(model: model, capacity: 1024, chunkRows: session.chunkRows))
        }
        let sessions = [session] + companions.prefix(requests.count - 1)

        if isCancelled() { for i in streams.indices { streams[i].cancel() } }
        var ready: [Int] = []  // the streams whose prompts are prefilled
        for i in streams.indices {
            streams[i].emitPromptFrames()
            guard streams[i].reason == nil else { continue }
            try prefill(i, of: streams, in: sessions, after: ready)
            ready.append(i)
            streams[i].advance(sessions[i], isCancelled: isCancelled)
        }

        var step = ModelInput(numCodebooks: model.configuration.audioNumCodebooks)
        step.reserveCapacity(1)
        var inputs = [ModelInput](repeating: step, count: streams.count)
        var going: [Int] = []
        going.reserveCapacity(streams.count)
        while true {
            going.removeAll(keepingCapacity: true)
            for i in streams.indices where streams[i].reason == nil { going.append(i) }
            if going.isEmpty { break }
            for i in going { streams[i].nextInput(into: &inputs[i]) }
            if going.count == 1 {
                try sessions[going[0]].append(inputs[going[0]], head: streams[going[0]].head)
            } else {
                try Session.step(going.map { sessions[$0] }, inputs: going.map { inputs[$0] }, heads: going.map { streams[$0].head })
            }
            for i in going { streams[i].advance(sessions[i], isCancelled: isCancelled) }
        }
        return streams.map { $0.result() }
    }

    /// Prefills stream `i`'s prompt in `sessions[i]` and evaluates its first step's head. The main session
    /// goes on from the previous call's prompt, a companion from the stream among `earlier` (prefilled
    /// already) whose prompt starts the most like its own. Either takes over whole chunks only, so the
    /// chunks left run exactly as in a full prefill and the result does not depend on what ran before
    /// (a prompt runs in chunks from its first position). At least the last position runs (its logits),
    /// except for a companion whose prompt is an earlier stream's: it takes over that prefill whole.
    private func prefill(_ i: Int, of streams: [GenerationStream], in sessions: [Session], after earlier: [Int]) throws {
        let prompt = streams[i].prompt, target = sessions[i]
        func whole(_ shared: Int) -> Int { min(shared, prompt.count - 1) / target.chunkRows * target.chunkRows }
        target.reserve(prompt.count + streams[i].expectedSteps)
        var reused = 0
        if i == 0 {
            reused = whole(prefilled.map { prompt.sharedPrefixCount(with: $0) } ?? 0)
            reusedPromptPositions = reused
            prefilled = nil
            target.truncate(to: reused)
        } else if let (j, shared) = earlier.map({ ($0, prompt.sharedPrefixCount(with: streams[$0].prompt)) }).max(by: { $0.1 < $1.1 }) {
            if shared == prompt.count && shared == streams[j].prompt.count {
                // The same prompt (takes of one line): its prefill and first logits are the ones stream j has,
                // computed in the same chunks.
                target.continueFrom(sessions[j], positions: shared)
                return
            }
            reused = whole(shared)
            target.continueFrom(sessions[j], positions: reused)
        } else {
            target.reset()
        }
        try target.append(prompt.positions(reused..<prompt.count), head: streams[i].head)
        if i == 0 { prefilled = prompt }
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
