import Foundation
import Prompt

/// What the generation worker reads when a job starts: the document as it is now (the screen publishes a
/// new one after every edit) and the stable ids of its lines.
public struct DocumentSnapshot: Sendable {
    public var planner: DialoguePlanner
    /// The editor's id of each script line, in order.
    public var lineIDs: [Int]

    public init(planner: DialoguePlanner, lineIDs: [Int]) {
        self.planner = planner
        self.lineIDs = lineIDs
    }
}

/// The takes of a line being made together, of the `of` asked for at once: takes `first` to `last`.
public struct TakesInProgress: Equatable, Sendable {
    public var first: Int
    public var last: Int
    public var of: Int

    /// "2/3", or "1-3/3" for takes made together.
    public var label: String { (first == last ? "\(first)" : "\(first)-\(last)") + "/\(of)" }
}

/// A job of the generation queue: a script line (by editor id) or an audition of a voice saying a text.
public enum GenerationJob: Hashable, Sendable {
    case line(Int)
    case audition(VoiceSlot, text: String)
}

/// How a generation job ended well.
public enum GenerationOutcome: Equatable, Sendable {
    /// A take (`cached`: it existed already for exactly these inputs, nothing was generated).
    case take(TakeInfo, cached: Bool)
    /// An audition: seconds of audio.
    case audition(seconds: Double)
}

/// The studio's generation queue: lines are generated in the order asked, each line as a chunk of the
/// reference's speaker chunking, with the previous lines' chosen takes as context; a job that takes nothing
/// from those before it (an audition, a line of another scene) is made beside them (`jobsAtOnce`). A line
/// whose key already has a take is not generated again. The PCM of the running job is readable while it
/// grows (`liveAudio`), so playback can start before the line is done.
public final class GenerationQueue: @unchecked Sendable {
    public typealias Jobs = JobQueue<GenerationJob, SynthesisProgress, GenerationOutcome>

    public let jobs: Jobs
    private let takes: TakeStore
    private let engine: EngineHandle
    private let document: @Sendable () -> DocumentSnapshot
    private let lock = NSLock()
    private let live = LiveAudio()
    /// Every line made this session.
    private var measured = GenerationPace()
    /// The takes each line's running job is making, where it makes more than one.
    private var making: [Int: TakesInProgress] = [:]
    private var ahead: PrefillAhead!
    /// How many times a line whose take was cut at its limit (`GeneratedTake.cut`) is generated again with a
    /// new seed, at once, before the lines after it (which take it as context). Every take is kept; the
    /// last is chosen. A take someone listened to as it came is not retried: they heard it run on, and
    /// they choose (a new take would start playing from nowhere).
    public var retriesOfCutTakes = 0
    /// A line whose up-to-date take was cut at the runaway stop in an earlier run is generated again too, as if
    /// it had just run on (`retriesOfCutTakes` new takes at most): `higgs render --retries N` asks for it. Without
    /// it such a take is kept as it is, so that a second run of an unchanged script makes nothing.
    public var remakesKeptCutTakes = false
    /// Where regenerating and retrying get their new seeds: at random (a test fixes them, since whether a
    /// take of random weights runs to its limit depends on its seed).
    public var newSeed: @Sendable () -> UInt64 = { UInt64.random(in: 0...UInt64(UInt32.max)) }

    /// Sentence an audition speaks.
    public static let auditionSentence = "Hello there. This is how I sound when I read a line of your script."

    public init(takes: TakeStore, engine: EngineHandle, document: @escaping @Sendable () -> DocumentSnapshot) {
        self.takes = takes
        self.engine = engine
        self.document = document
        jobs = Jobs(name: "generation", atOnce: Self.jobsAtOnce, beside: { [live] running, queued in
            // A line someone listens to as it is made is not held back by another job's prefill and steps.
            running.contains { live[$0]?.listenerLead != nil } ? nil : Self.firstIndependent(of: running, in: queued, document())
        })
        ahead = PrefillAhead(idle: { [jobs, engine] in
            guard case .ready = engine.state else { return false }
            return jobs.running.isEmpty && jobs.queued.isEmpty
        }, work: { [weak self] id, isCancelled in self?.prefillAhead(line: id, isCancelled: isCancelled) ?? true })
    }

    deinit { ahead.stop() }

    /// The audio of each job, as it is made.
    private final class LiveAudio: @unchecked Sendable {
        private let lock = NSLock()
        private var streams: [GenerationJob: AudioStream] = [:]

        subscript(job: GenerationJob) -> AudioStream? {
            get { lock.withLock { streams[job] } }
            set { lock.withLock { streams[job] = newValue } }
        }
    }

    /// Jobs made at once at most. A job that takes nothing from another (an audition, a line in another
    /// scene) starts beside it, and their generations share the engine's steps: a step of two or three
    /// takes costs 1.1-1.4 times a step of one (`higgs bench model --together`). Scenes' lines made beside
    /// each other (`higgs bench line --beside N`, q4, two cores) came 1.5x faster than one after another
    /// with two, 1.7-2.0x with three and 1.9x with four. Not beside a line someone is listening to as it
    /// comes: the newcomer's prefill would hold it back for seconds.
    public static let jobsAtOnce = 3

    /// The first queued job that takes nothing from the jobs running or queued ahead of it: an audition, or
    /// a line none of whose possible context lines (`DialoguePlanner.contextReach`) is among them.
    static func firstIndependent(of running: [GenerationJob], in queued: [GenerationJob], _ snapshot: DocumentSnapshot) -> Int? {
        var busy = Set(running.compactMap { job -> Int? in if case .line(let id) = job { return id } else { return nil } })
        let index = Dictionary(snapshot.lineIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for (q, job) in queued.enumerated() {
            guard case .line(let id) = job else { return q }
            // A line deleted since it was queued fails at once.
            guard let i = index[id], i < snapshot.planner.lineCount else { return q }
            if !snapshot.planner.contextReach(line: i).contains(where: { busy.contains(snapshot.lineIDs[$0]) }) { return q }
            busy.insert(id)
        }
        return nil
    }

    /// Queues lines (editor ids) in this order. `reseed`: a new random seed for each, always generating.
    public func generate(_ lines: [Int], reseed: Bool = false) {
        for id in lines {
            dropLiveAudio(.line(id))
            jobs.enqueue(.line(id)) { [self] control in try runLine(id, reseed: reseed, takes: 1, control: control) }
        }
    }

    /// A run's lines (`GenerationRun`) planned again: whatever is queued or running for `run` is cancelled, and `lines`
    /// are queued in this order (a line still ending its cancelled job starts again once it has ended).
    public func replan(_ run: [Int], making lines: [Int]) {
        for id in run { jobs.cancel(.line(id)) }
        generate(lines)
    }

    /// A line already waiting is made next, before the lines queued ahead of it (someone wants to hear it
    /// now); false when it is not waiting. Its context is the takes the lines before it have by then.
    @discardableResult
    public func makeNext(_ line: Int) -> Bool { jobs.runNext(.line(line)) }

    /// Queues `count` new takes of a line (new seeds), made together as one job, so that a writer asks once
    /// for several reads and chooses among them. Every take is kept; the last made is chosen.
    public func makeTakes(_ count: Int, of line: Int) {
        dropLiveAudio(.line(line))
        jobs.enqueue(.line(line)) { [self] control in try runLine(line, reseed: true, takes: max(1, count), control: control) }
    }

    /// Which of several takes asked for at once (`makeTakes`) the line's running job is making.
    public func takeInProgress(of line: Int) -> TakesInProgress? {
        lock.lock()
        defer { lock.unlock() }
        return making[line]
    }

    /// Queues an audition of a voice: `text` (the audition sentence, or a word's respelling in its line) in
    /// that voice alone, no context.
    public func audition(_ voice: VoiceSlot, library: VoiceLibrary, text: String = GenerationQueue.auditionSentence) {
        let job = GenerationJob.audition(voice, text: text)
        dropLiveAudio(job)
        jobs.enqueue(job) { [self] control in try runAudition(job, library: library, control: control) }
    }

    /// A job about to be queued again: its previous audio is not the audio it will make. (Queueing happens
    /// on one thread, so an active job is never between this check and its enqueue.)
    private func dropLiveAudio(_ job: GenerationJob) {
        guard jobs.state(job)?.isActive != true else { return }
        live[job] = nil
    }

    /// Prefills the starts of these lines' prompts, in order, while the queue is idle (the line under the
    /// cursor and the one after it: their `g` or `r` then begins sooner; see `PrefillAhead`). `version` names the
    /// document they are planned from: call again when the cursor moves, and with a new version when a line,
    /// the inputs or the takes change. No lines asks for nothing.
    public func prefillAhead(_ lines: [Int], version: Int) { ahead.want(lines, version: version) }

    /// How many lines have been prefilled ahead to the end.
    public var prefillsAhead: Int { ahead.finished }

    /// Whether a prefill ahead runs now.
    public var isPrefillingAhead: Bool { ahead.isWorking }

    public func cancel(_ job: GenerationJob) { jobs.cancel(job) }
    public func cancelAll() { jobs.cancelAll() }
    /// Cancels everything and ends the worker threads (the queue is being replaced).
    public func stop() {
        ahead.stop()
        jobs.stop()
    }
    public func state(_ job: GenerationJob) -> Jobs.State? { jobs.state(job) }

    /// The audio of a job while it runs (and after, until the next job of the same id starts).
    public func liveAudio(_ job: GenerationJob) -> AudioStream? { live[job] }

    /// The pace of the lines made this session (empty before the first has been made).
    public var pace: GenerationPace { lock.withLock { measured } }

    /// The pace the engine made lines at in an earlier session (`PaceRecord`), for estimates until a line of this one
    /// has been made.
    public var earlierPace: GenerationPace? {
        get { lock.withLock { earlier } }
        set { lock.withLock { earlier = newValue } }
    }
    private var earlier: GenerationPace?

    /// The pace estimates take: this session's once it has made a line, else the earlier session's; nil when neither
    /// is known. `earlier` says which.
    public var estimatingPace: (pace: GenerationPace, earlier: Bool)? {
        lock.lock()
        defer { lock.unlock() }
        if !measured.isEmpty { return (measured, false) }
        return earlier.map { ($0, true) }
    }

    // MARK: Jobs

    /// Generates a line's take (or finds it made), `count` takes with new seeds when asked for several:
    /// those are made together (`LineSynthesizer.synthesize(_:seeds:...)`), the first heard as it comes.
    /// A take cut at its limit and not heard is made again without counting (`retriesOfCutTakes` per take).
    ///
    /// A line whose inputs change while it is made (its words, its speaker's voice, its scene, a setting, the takes
    /// before it): what was begun for the old ones stops (within `LineWatch.interval`), and it is made anew, as the
    /// key asked for it: a take of the old inputs would be out of date as it ends.
    private func runLine(_ id: Int, reseed: Bool, takes count: Int, control: Jobs.Control) throws -> GenerationOutcome {
        while true {
            let snapshot = document()
            let watch = LineWatch(id, reseeded: reseed, in: snapshot, document: document)
            let watched = Jobs.Control(isCancelled: { control.isCancelled() || watch.changed }, report: control.report)
            do {
                return try runLine(id, in: snapshot, reseed: reseed, takes: count, control: watched)
            } catch where !control.isCancelled() && watch.changed {
                continue
            }
        }
    }

    private func runLine(_ id: Int, in snapshot: DocumentSnapshot, reseed: Bool, takes count: Int,
                         control: Jobs.Control) throws -> GenerationOutcome {
        guard let index = snapshot.lineIDs.firstIndex(of: id) else { throw StudioError("the line was deleted") }
        let planner = snapshot.planner
        var reseeded = reseed
        // One entry per take still to make: the retries it has left.
        var wanted = [Int](repeating: retriesOfCutTakes, count: count)
        var made = 0
        var last: TakeInfo?
        func making(_ takes: ClosedRange<Int>?) {
            lock.lock()
            self.making[id] = takes.map { TakesInProgress(first: $0.lowerBound, last: $0.upperBound, of: count) }
            lock.unlock()
        }
        defer { making(nil) }
        /// The line planned with its next seed, with the request and key it must have.
        func plan() throws -> (plan: LinePlan, request: LineRequest, key: String) {
            guard let plan = planner.plan(line: index, seed: reseeded ? newSeed() : nil) else {
                throw StudioError("the line is blank or a note (# ...): it says nothing")
            }
            if let problem = plan.problem { throw StudioError(problem) }
            guard let request = plan.request, let key = plan.key else { throw StudioError("the line cannot be planned") }
            return (plan, request, key)
        }
        var lookedForContext = false
        while !wanted.isEmpty {
            let first = try plan()
            // Context takes deleted by hand since they were last seen: forgotten, the line planned again without them
            // (once: a record read again lists only the takes there are).
            let goneContext = first.plan.context.map(\.key).filter { !takes.hasTake($0) }
            if !goneContext.isEmpty && !lookedForContext {
                lookedForContext = true
                takes.forget(takes: goneContext)
                continue
            }
            if !reseeded && takes.hasTake(first.key) {
                let line = first.plan
                try takes.choose(first.key, line: line.identity, transcript: line.transcript, adopting: takes.info(for: first.key))
                if let info = takes.takes(for: line.identity, transcript: line.transcript).takes.first(where: { $0.key == first.key }) {
                    guard remakesKeptCutTakes && info.ranOn && retriesOfCutTakes > 0 && count == 1 else { return .take(info, cached: true) }
                    // The kept take is this line's try that ran on: the retries follow it.
                    last = info
                    wanted = [retriesOfCutTakes - 1]
                    reseeded = true
                    continue
                }
            }
            let synthesizer = try engine.synthesizer(isCancelled: control.isCancelled)
            let round = reseeded ? min(wanted.count, synthesizer.takesTogether) : 1
            if count > 1 { making(made + 1...made + round) }
            let plans = try [first] + (1..<round).map { _ in try plan() }
            let context = try first.plan.context.map { GeneratedLine(transcript: $0.transcript, codes: try takes.codes($0.key)) }
            let generated = try run(.line(id), request: first.request, seeds: plans.map(\.request.seed), context: context,
                                    synthesizer: synthesizer, control: control)
            let e = synthesizer.engineDescription
            let engineName = URL(fileURLWithPath: e.modelPath).lastPathComponent + " " + e.precision
            let heard = liveAudio(.line(id))?.wasFollowed ?? false
            var next: [Int] = []
            for (i, (planned, take)) in zip(plans, generated).enumerated() {
                // A line planned without a new seed takes its chosen take's, when that had one (`DialoguePlanner.seed`):
                // the take made with it is reseeded too, or the line's next plan would go back to the project's seed.
                let newSeed = reseeded || planned.request.seed != planner.project.settings.seed
                let info = try takes.add(take, key: planned.key, seed: planned.request.seed, reseeded: newSeed, line: planned.plan.identity,
                                         transcript: planned.plan.transcript, engine: engineName)
                if info.ranOn && wanted[i] > 0 && !(i == 0 && heard) {
                    next.append(wanted[i] - 1)
                } else {
                    made += 1
                    last = info
                }
            }
            wanted = next + wanted.dropFirst(round)
            reseeded = true
        }
        return .take(last!, cached: false)
    }

    /// The line's prompt start prefilled as its generation would run it now: its plan and the takes before it.
    /// A line that cannot be planned is left alone (its generation says why). False when it gave way.
    private func prefillAhead(line id: Int, isCancelled: () -> Bool) -> Bool {
        guard case .ready(let synthesizer) = engine.state else { return false }
        let snapshot = document()
        guard let index = snapshot.lineIDs.firstIndex(of: id), let plan = snapshot.planner.plan(line: index),
              plan.problem == nil, let request = plan.request else { return true }
        do {
            let context = try plan.context.map { GeneratedLine(transcript: $0.transcript, codes: try takes.codes($0.key)) }
            try synthesizer.prepare(request, context: context, isCancelled: isCancelled)
        } catch {
            return true
        }
        return !isCancelled()
    }

    private func runAudition(_ job: GenerationJob, library: VoiceLibrary, control: Jobs.Control) throws -> GenerationOutcome {
        guard case .audition(let voice, let text) = job else { throw StudioError("not an audition") }
        let planner = document().planner
        let request = try planner.auditionRequest(voice: voice, library: library, text: text)
        let synthesizer = try engine.synthesizer(isCancelled: control.isCancelled)
        let take = try run(job, request: request, context: [], synthesizer: synthesizer, control: control)
        return .audition(seconds: Double(take.samples.count) / Double(AudioFormat.sampleRate))
    }

    private func run(_ job: GenerationJob, request: LineRequest, context: [GeneratedLine], synthesizer: LineSynthesizer,
                     control: Jobs.Control) throws -> GeneratedTake {
        try run(job, request: request, seeds: [request.seed], context: context, synthesizer: synthesizer, control: control)[0]
    }

    /// Takes of `request` with each of `seeds`, the first one's audio live as `job`'s.
    private func run(_ job: GenerationJob, request: LineRequest, seeds: [UInt64], context: [GeneratedLine],
                     synthesizer: LineSynthesizer, control: Jobs.Control) throws -> [GeneratedTake] {
        let stream = AudioStream()
        // How long it is likely to be, so that a player on a machine slower than real time waits once for it.
        stream.expect(Int(SpeakingTime.expected(forSaying: request.transcript) * Double(AudioFormat.sampleRate)))
        live[job] = stream
        let started = Date()
        let firstFrame = FirstFrame()
        do {
            let takes = try synthesizer.synthesize(request, seeds: seeds, context: context, onProgress: { progress in
                firstFrame.seen(progress.frames)
                control.report(progress)
            }, onAudio: { stream.append($0) }, listenerLead: { stream.listenerLead }, isCancelled: control.isCancelled)
            stream.finish()
            let ended = Date()
            // The pace of a line as heard: the first take's frames (takes made together share the steps).
            lock.withLock {
                measured.add(frames: takes[0].codes.frameCount, seconds: ended.timeIntervalSince(started),
                             prompt: firstFrame.at?.timeIntervalSince(started))
            }
            return takes
        } catch {
            stream.fail(control.isCancelled() ? "cancelled" : "\(error)")
            throw error
        }
    }
}

/// Whether a line's inputs changed (or it was deleted) since its job planned it, asked as often as the engine asks
/// whether to stop, and answered from the document at most every `interval` seconds.
private final class LineWatch: @unchecked Sendable {
    static let interval = 0.2
    private let id: Int
    private let reseeded: Bool
    private let inputs: String?
    private let document: @Sendable () -> DocumentSnapshot
    private let lock = NSLock()
    private var lookedAt = 0.0
    private var found = false

    init(_ id: Int, reseeded: Bool, in snapshot: DocumentSnapshot, document: @escaping @Sendable () -> DocumentSnapshot) {
        self.id = id
        self.reseeded = reseeded
        self.document = document
        inputs = Self.inputs(of: id, reseeded: reseeded, in: snapshot)
        lookedAt = ProcessInfo.processInfo.systemUptime
    }

    /// The line's take key at a fixed seed (its words when it cannot be planned), and the project's seed where the
    /// job takes it: the seeds the job's own takes give the line (a cut take made again) change nothing.
    private static func inputs(of id: Int, reseeded: Bool, in snapshot: DocumentSnapshot) -> String? {
        guard let i = snapshot.lineIDs.firstIndex(of: id), i < snapshot.planner.lineCount else { return nil }
        let planner = snapshot.planner
        let key = planner.plan(line: i, seed: 0)?.key ?? planner.project.script[i]
        return reseeded ? key : key + " seed \(planner.project.settings.seed)"
    }

    var changed: Bool {
        lock.lock()
        defer { lock.unlock() }
        let now = ProcessInfo.processInfo.systemUptime
        if !found && now - lookedAt >= Self.interval {
            lookedAt = now
            found = Self.inputs(of: id, reseeded: reseeded, in: document()) != inputs
        }
        return found
    }
}

/// When a generation's first frame came (its prompt read by then).
private final class FirstFrame: @unchecked Sendable {
    private let lock = NSLock()
    private var date: Date?

    func seen(_ frames: Int) {
        lock.lock()
        if date == nil && frames >= 1 { date = Date() }
        lock.unlock()
    }

    var at: Date? { lock.withLock { date } }
}
