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
///
/// Calls from several threads share their steps: a generation asked for while others run joins them at
/// their next step (its prompt prefilled first), and every step runs one position of each generation going,
/// reading the weights once for all of them. Whichever waiting caller is free runs the step; each call
/// returns as soon as its own generations end.
public final class Generator {
    public let model: Model
    private let chunkRows: Int
    /// Guards everything below. `stepping` marks the one caller running the model (the prefills of the
    /// generations waiting to join, then a step of every generation going) while the others wait.
    private let state = NSCondition()
    private var stepping = false
    /// Sessions, kept with the prompt whose prefill each holds for later prompts that start alike.
    private var slots: [Slot]
    private var joining: [Running] = []
    private var going: [Running] = []
    private var reused = 0

    /// Generations stepping together now, of every call, with those waiting to join.
    public var generationsAtOnce: Int { state.withLock { going.count + joining.count } }

    /// Positions of the last call's first prompt whose keys and values came from an earlier prefill.
    public var reusedPromptPositions: Int { state.withLock { reused } }

    /// `chunkRows`: positions per prefill batch, which is also the unit in which a prompt's start is
    /// reused; 128 prefills as fast as 256 here (500 positions, q4: 150-162 against 152-156 per
    /// second; 64 drops to 142) and wastes half as much of a shared start.
    public init(model: Model, chunkRows: Int = 128) {
        self.model = model
        self.chunkRows = chunkRows
        slots = [Slot(Session(model: model, capacity: 1024, chunkRows: chunkRows))]
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
    /// request's index with each of its frames. Generations of other calls running meanwhile step with
    /// these, and `onFrame` and `isCancelled` may be called on their threads (never two at once).
    public func generate(
        _ requests: [(prompt: ModelInput, options: GenerationOptions)],
        isCancelled: () -> Bool = { false }, onFrame: ((_ request: Int, _ frame: [Int]) -> Void)? = nil
    ) throws -> [GenerationResult] {
        guard !requests.isEmpty else { return [] }
        // The closures are kept by the generations, which end before this call returns.
        return try withoutActuallyEscaping(isCancelled) { isCancelled in
            try withoutActuallyEscaping(onFrame ?? { _, _ in }) { onFrame in
                var mine: [Running] = []
                for (i, request) in requests.enumerated() {
                    try model.validate(request.prompt)
                    let stream = try GenerationStream(prompt: request.prompt, options: request.options,
                                                      configuration: model.configuration,
                                                      onFrame: { frame in onFrame(i, frame) })
                    mine.append(Running(stream, isCancelled: isCancelled, firstOfCall: i == 0))
                }
                try run(mine)
                if let failure = mine.lazy.compactMap(\.failure).first { throw failure }
                return mine.map { $0.stream.result() }
            }
        }
    }

    /// Prefills the start of `prompt` ahead of its generation, while nothing else runs (the studio does this
    /// for the line under the cursor while the writer reads it): every whole chunk but the one holding its last
    /// position, which a generation always runs itself. A later prompt that starts alike takes these chunks
    /// over as it takes over an earlier generation's, with the same results. Returns the positions held.
    ///
    /// It gives way: it starts only when no generation runs or waits, and stops between chunks when a
    /// generation asks to run (which then waits at most one chunk) or when `isCancelled` says so.
    @discardableResult
    public func prepare(_ prompt: ModelInput, isCancelled: () -> Bool = { false }) throws -> Int {
        try model.validate(prompt)
        let end = max(0, prompt.count - 1) / chunkRows * chunkRows
        // The caller's check runs outside the lock, as every other call of it does.
        guard end > 0, !isCancelled() else { return 0 }
        state.lock()
        guard !stepping, going.isEmpty, joining.isEmpty else {
            state.unlock()
            return 0
        }
        stepping = true
        state.unlock()
        defer {
            state.lock()
            stepping = false
            state.broadcast()
            state.unlock()
        }
        // Nothing runs, so every slot is free. The one holding the most of this start goes on from it, unless it
        // holds a prompt that goes on otherwise (the line made last, another line prepared): then the start is
        // copied into a slot of its own (up to `slotsKept`, after that the slot sharing least), and both stay.
        let shared = slots.map { slot in slot.prompt.map { prompt.sharedPrefixCount(with: $0) } ?? 0 }
        let best = shared.indices.max { shared[$0] < shared[$1] }!
        var held = min(shared[best], end) / chunkRows * chunkRows
        guard held < end else { return held }
        let target: Slot
        if (slots[best].prompt?.count ?? 0) <= held {
            target = slots[best]
            target.session.truncate(to: held)  // a generation's steps after its prompt
        } else {
            if slots.count < Self.slotsKept {
                target = Slot(Session(model: model, capacity: prompt.count + 64, chunkRows: chunkRows))
                slots.append(target)
            } else {
                target = slots[slots.indices.filter { $0 != best }.min { shared[$0] < shared[$1] }!]
            }
            target.session.continueFrom(slots[best].session, positions: held)
        }
        target.prompt = held > 0 ? prompt.positions(0..<held) : nil
        target.logitsArePrompts = false
        target.session.reserve(prompt.count + 64)
        while held < end {
            let someoneWaits = state.withLock { !joining.isEmpty }
            if someoneWaits || isCancelled() { break }
            target.prompt = nil  // while its positions change
            try target.session.append(prompt.positions(held..<held + chunkRows), head: .none)
            held += chunkRows
            target.prompt = prompt.positions(0..<held)
        }
        return held
    }

    /// Sessions `prepare` may keep at once: the line made last and the next ones prepared ahead of it (each is a
    /// KV cache and a chunk's workspace, under 0.1 GB at the published size).
    static let slotsKept = 3

    /// Queues `mine` to join, then takes turns running the model until they have all ended.
    private func run(_ mine: [Running]) throws {
        state.lock()
        defer { state.unlock() }
        // A step runs one row per generation in the stepping session's workspace.
        let rows = going.count + joining.count + mine.count
        guard rows <= chunkRows else {
            throw GenerationError("\(rows) generations at once; at most \(chunkRows) (the prefill chunk's rows)")
        }
        joining += mine
        while !mine.allSatisfy(\.finished) {
            if stepping {
                state.wait()
                continue
            }
            stepping = true
            let newcomers = joining, before = going
            joining.removeAll()
            state.unlock()
            for generation in newcomers { join(generation) }
            let batch = before + newcomers
            step(batch)
            state.lock()
            going = batch.filter { !$0.ended }
            for generation in batch where generation.ended {
                generation.slot?.busy = false
                generation.finished = true
            }
            stepping = false
            state.broadcast()
        }
    }

    /// Prefills a generation's prompt and takes its first step's outcome from the prompt's logits.
    private func join(_ generation: Running) {
        if generation.isCancelled() { generation.stream.cancel() }
        generation.stream.emitPromptFrames()
        guard !generation.ended else { return }
        do {
            guard let slot = try prefill(generation) else { return generation.stream.cancel() }  // cancelled during it
            generation.slot = slot
            generation.stream.advance(slot.session, isCancelled: generation.isCancelled)
        } catch {
            generation.failure = error
        }
    }

    /// One step of every generation in `batch` not ended yet, in one pass.
    private func step(_ batch: [Running]) {
        let live = batch.filter { !$0.ended }
        guard !live.isEmpty else { return }
        for generation in live { generation.stream.nextInput(into: &generation.input) }
        do {
            try Session.step(live.map { $0.slot!.session }, inputs: live.map(\.input), heads: live.map(\.stream.head))
        } catch {
            for generation in live {
                generation.failure = error
                generation.slot!.prompt = nil
            }
            return
        }
        for generation in live {
            generation.slot!.logitsArePrompts = false
            generation.stream.advance(generation.slot!.session, isCancelled: generation.isCancelled)
        }
    }

    /// Prefills a generation's prompt in a free session and evaluates its first step's head. It goes on from
    /// the session (free or not) whose prompt starts the most like its own, taking over whole chunks only, so
    /// the chunks left run exactly as in a full prefill and the result does not depend on what ran before
    /// (a prompt runs in chunks from its first position). At least the last position runs (its logits),
    /// except where a session holds the same prompt with its logits still: it takes over that prefill whole.
    /// Nil when the generation was cancelled during it.
    private func prefill(_ generation: Running) throws -> Slot? {
        let prompt = generation.stream.prompt
        func whole(_ shared: Int) -> Int { min(shared, prompt.count - 1) / chunkRows * chunkRows }
        let shared = slots.map { slot in slot.prompt.map { prompt.sharedPrefixCount(with: $0) } ?? 0 }
        let best = shared.indices.max { shared[$0] < shared[$1] }!
        let free = slots.indices.filter { !slots[$0].busy }
        // A free session holding as much of the start as the best needs no copy.
        let target: Slot
        if !slots[best].busy {
            target = slots[best]
        } else if let own = free.first(where: { whole(shared[$0]) == whole(shared[best]) }) {
            target = slots[own]
        } else if let other = free.max(by: { shared[$0] < shared[$1] }) {
            target = slots[other]
        } else {
            target = Slot(Session(model: model, capacity: 1024, chunkRows: chunkRows))
            slots.append(target)
        }
        target.busy = true
        target.session.reserve(prompt.count + generation.stream.expectedSteps)
        let source = slots[best]
        var reused = whole(shared[best])
        if shared[best] == prompt.count && source.prompt?.count == prompt.count && source.logitsArePrompts {
            // The same prompt (takes of one line): its prefill and first logits are the ones it holds.
            if target !== source { target.session.continueFrom(source.session, positions: prompt.count) }
            reused = prompt.count
        } else if target === source || reused == 0 {
            target.session.truncate(to: reused)
        } else {
            target.session.continueFrom(source.session, positions: reused)
        }
        if generation.firstOfCall { state.withLock { self.reused = reused } }
        // A chunk at a time (the chunks a whole prefill runs, since `reused` is whole chunks), so that a cancel stops a
        // long prompt (a long scene, long voice clips) within one chunk; what ran stays to be taken over.
        var done = reused
        while done < prompt.count {
            if generation.isCancelled() {
                target.prompt = done > 0 ? prompt.positions(0..<done) : nil
                target.logitsArePrompts = false
                target.busy = false
                return nil
            }
            let end = min(prompt.count, done + chunkRows)
            target.prompt = nil  // while its positions change
            do {
                try target.session.append(prompt.positions(done..<end), head: end == prompt.count ? generation.stream.head : .none)
            } catch {
                target.busy = false
                throw error
            }
            done = end
        }
        target.prompt = prompt
        target.logitsArePrompts = true
        return target
    }

    /// A session and the prompt whose positions it holds as its prefill left them (steps only add after them).
    private final class Slot {
        let session: Session
        var prompt: ModelInput?
        /// Its logits are still its prompt's last position's (no step ran since).
        var logitsArePrompts = false
        /// A generation going steps in it.
        var busy = false

        init(_ session: Session) { self.session = session }
    }

    /// A generation between its steps, wherever its call came from.
    private final class Running {
        var stream: GenerationStream
        let isCancelled: () -> Bool
        let firstOfCall: Bool
        var slot: Slot?
        var input: ModelInput
        var failure: Error?
        /// Ended, as its caller may read under the lock (`ended` changes during a step, outside it).
        var finished = false

        init(_ stream: GenerationStream, isCancelled: @escaping () -> Bool, firstOfCall: Bool) {
            self.stream = stream
            self.isCancelled = isCancelled
            self.firstOfCall = firstOfCall
            input = ModelInput(numCodebooks: stream.prompt.numCodebooks)
            input.reserveCapacity(1)
        }

        var ended: Bool { stream.reason != nil || failure != nil }
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
