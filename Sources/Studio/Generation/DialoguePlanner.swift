import Foundation
import ModelHub
import Prompt
import Generation

/// Everything known about one script line before generating it: its request, its context, its key, its takes.
public struct LinePlan: Sendable {
    public let line: Int
    public let identity: LineIdentity
    public let transcript: String
    /// Nil when the line cannot be generated; `problem` says why.
    public let request: LineRequest?
    public let problem: String?
    /// The previous lines given as context (oldest first): their identity, transcript as said (pronunciations
    /// applied, as their takes were made) and chosen take.
    public let context: [(identity: LineIdentity, transcript: String, key: String)]
    /// The key a generation with `request` and this context would have.
    public let key: String?
    public let takes: LineTakes

    /// The take the line plays and exports (chosen, else newest).
    public var take: TakeInfo? { takes.current }

    /// The line's take is what would be generated now (no setting, voice, scene or context changed since).
    public var isCurrent: Bool { key != nil && take?.key == key }

    /// The line still wants work before it is done: it has no take, its take is out of date, or it was cut
    /// at its limit (most likely a runaway; one stopped at `max-new-tokens` too, since it stops before its end).
    public var wantsTake: Bool { !isCurrent || take?.cut == true }
}

/// Plans the lines of a project: speakers to tags, voices resolved, context chosen as the reference's chunk
/// buffer does (the previous lines' chosen takes, newest `chunkBuffer` of them, stopping at a line that has
/// none), and the take keys that follow.
public struct DialoguePlanner: Sendable {
    public let project: Project
    public let casting: Casting
    public let takes: TakeStore
    private let transcripts: [String]
    /// The transcripts as the model is given them: the project's pronunciations applied. A line's identity
    /// (its takes) follows what is written; its key, what is said.
    private let said: [String]
    private let identities: [LineIdentity]
    let voices: [ResolvedVoice]
    /// The project's scene (the header's), for auditions.
    let scene: String?
    let setupProblem: String?
    /// Each line's scene: the header's until a `# scene: ...` note changes it. A scene that cannot be read
    /// is a problem of every line it would be the scene of.
    private let lineScenes: [(text: String?, problem: String?)]
    /// Each line is a `# scene:` note.
    private let sceneNotes: [Bool]
    private let fingerprints: [String: String]

    /// Plans `project`. `previous`, the plan of the script before an edit, lends what it read of the lines the
    /// edit left as they were (the studio plans again after every key; the result is the same without it).
    public init(project: Project, voices library: VoiceLibrary, scenes: SceneLibrary, takes: TakeStore,
                fingerprints: ClipFingerprints, after previous: DialoguePlanner? = nil) {
        self.project = project
        self.takes = takes
        let before = previous.map { (planner: $0, unchanged: UnchangedLines(from: $0.project.script, to: project.script)) }
        let casting = Casting(project: project, voices: library, after: before.map { ($0.planner.casting, $0.unchanged) })
        self.casting = casting
        (transcripts, identities) = DialoguePlanner.lines(of: project, casting: casting, after: before)
        let samePronunciations = before.map { $0.planner.project.pronunciations == project.pronunciations } ?? false
        said = transcripts.indices.map { [transcripts] i in
            if samePronunciations, let before, let j = before.unchanged.old(i), before.planner.transcripts[j] == transcripts[i] {
                return before.planner.said[j]
            }
            return project.pronunciations.applied(to: transcripts[i])
        }

        var problem: String?
        var prints: [String: String] = [:]
        for case .clip(let name, let audio, _) in casting.resolvedVoices {
            if let p = fingerprints.fingerprint(audio) { prints[name] = p }
        }
        self.voices = casting.resolvedVoices
        self.fingerprints = prints
        do {
            scene = try scenes.text(for: project.scene)
        } catch {
            scene = nil
            problem = "\(error)"
        }
        setupProblem = problem
        var current = (text: scene, problem: problem)
        var notes: [Bool] = []
        lineScenes = project.script.indices.map { i in
            // Only a note (a line that says nothing) changes the scene; a spoken line is not parsed again for it.
            let change = casting.saysNothing[i] ? ScriptLine(project.script[i]).sceneChange : nil
            notes.append(change != nil)
            if let change {
                do {
                    current = (try scenes.text(forNote: change), nil)
                } catch {
                    current = (nil, "\(error)")
                }
            }
            return current
        }
        sceneNotes = notes
    }

    /// The line is a note that changes the scene.
    public func changesScene(line: Int) -> Bool { sceneNotes[line] }

    /// Why the scene a `# scene:` note on line `i` chooses cannot be had (no such scene, a slip for one, a control
    /// token in it): the problem of the lines after it, said at the note too. Nil for any other line.
    public func sceneNoteProblem(line i: Int) -> String? {
        sceneNotes.indices.contains(i) && sceneNotes[i] ? lineScenes[i].problem : nil
    }

    /// Each line's transcript (speakers as the prompt's tags) and identity (the transcript and how many
    /// lines before it have the same one): what its takes are filed under.
    static func lines(of project: Project, casting: Casting, after previous: (planner: DialoguePlanner, unchanged: UnchangedLines)? = nil)
        -> (transcripts: [String], identities: [LineIdentity]) {
        var seen: [String: Int] = [:]
        var transcripts: [String] = []
        var identities: [LineIdentity] = []
        seen.reserveCapacity(project.script.count)
        transcripts.reserveCapacity(project.script.count)
        identities.reserveCapacity(project.script.count)
        /// The count before, and one more (the dictionary's entry found once).
        func occurrence(_ n: inout Int) -> Int {
            defer { n += 1 }
            return n
        }
        for i in project.script.indices {
            // A line the edit left, spoken by the same speaker, has the transcript it had (and its hash).
            let kept = previous.flatMap { p in
                p.unchanged.old(i).flatMap { j in p.planner.casting.lineSpeakers[j] == casting.lineSpeakers[i] ? j : nil }
            }
            let t = kept.map { previous!.planner.transcripts[$0] } ?? casting.transcript(line: i, project: project)
            let n = occurrence(&seen[t, default: 0])
            transcripts.append(t)
            identities.append(kept.map { LineIdentity(sameTranscriptAs: previous!.planner.identities[$0], occurrence: n) }
                              ?? LineIdentity(transcript: t, occurrence: n))
        }
        return (transcripts, identities)
    }

    /// The identities of a project's lines, without planning them (voices and scenes play no part).
    public static func lineIdentities(of project: Project) -> [LineIdentity] {
        lines(of: project, casting: Casting(project: project, voices: VoiceLibrary(clips: [], profiles: []))).identities
    }

    public var lineCount: Int { project.script.count }

    public func identity(line: Int) -> LineIdentity { identities[line] }
    public func transcript(line: Int) -> String { transcripts[line] }
    /// The line is blank or a note: it has no plan, is given to no line as context, and is not exported.
    public func saysNothing(line: Int) -> Bool { casting.saysNothing[line] }

    /// The line's takes record.
    public func takes(line: Int) -> LineTakes { takes.takes(for: identities[line], transcript: transcripts[line]) }

    /// The seed line `line` generates with: its chosen take's, when that take was reseeded; else the project's.
    public func seed(line: Int) -> UInt64 {
        if let take = takes(line: line).current, take.reseeded { return take.seed }
        return project.settings.seed
    }

    /// The lines whose takes `plan(line:)` may give the line as context, whether they have a take now or
    /// not: the `chunkBuffer` lines that say something before it, back to its scene's start. A line made
    /// while one of these is being made, or waits to be, would miss that line's new take.
    public func contextReach(line i: Int) -> [Int] {
        var reach: [Int] = []
        var j = i - 1
        while j >= 0 && reach.count < project.settings.chunkBuffer && !changesScene(line: j) {
            if !saysNothing(line: j) { reach.append(j) }
            j -= 1
        }
        return reach
    }

    /// The lines among `lines` (in script order) that one pass must make to leave them up to date: those out of
    /// date now, those in `remade`, and those whose context holds a line made before them in the pass (they go out
    /// of date once it has its new take). Lines after a scene change that are up to date are not among them.
    public func linesToMake(_ lines: [Int], remade: [Int] = []) -> [Int] {
        var made = Set<Int>()
        for i in lines {
            guard let plan = plan(line: i) else { continue }  // a blank line or a note says nothing
            if !plan.isCurrent || remade.contains(i) || contextReach(line: i).contains(where: made.contains) { made.insert(i) }
        }
        return lines.filter(made.contains)
    }

    /// Why line `i` as said cannot go into a prompt: it holds one of the model's control tokens (`ControlTokens`),
    /// always a slip in a dialogue line (pasted with the text from elsewhere). The written line is named; the
    /// pronunciations only where the token is theirs.
    func controlTokenProblem(line i: Int) -> String? {
        guard let asSaid = ControlTokens.problem(inTranscript: said[i], "the line as said (its pronunciations applied)") else { return nil }
        return ControlTokens.problem(inTranscript: transcripts[i], "the line") ?? asSaid
    }

    /// The plan of a line; nil for a blank line or a note. `seed` overrides the line's seed (regenerate).
    public func plan(line i: Int, seed: UInt64? = nil) -> LinePlan? {
        guard project.script.indices.contains(i), !saysNothing(line: i) else { return nil }
        let lineTakes = takes(line: i)
        var context: [(identity: LineIdentity, transcript: String, key: String)] = []
        var j = i - 1
        while j >= 0 && context.count < project.settings.chunkBuffer {
            // Lines in another scene were heard in another place: they are no context.
            if changesScene(line: j) { break }
            if saysNothing(line: j) {
                j -= 1
                continue
            }
            // A take whose files are gone (deleted by hand) is no context: its codes cannot be read.
            guard casting.problem(line: j) == nil, controlTokenProblem(line: j) == nil, let take = takes(line: j).current,
                  takes.hadTake(take.key) else { break }
            context.insert((identities[j], said[j], take.key), at: 0)
            j -= 1
        }
        let problem = lineScenes[i].problem ?? casting.problem(line: i) ?? controlTokenProblem(line: i)
        var request: LineRequest?
        var key: String?
        if problem == nil {
            let r = LineRequest(transcript: said[i], speaker: casting.lineSpeakers[i], voices: voices,
                                speakerTags: casting.speakerTags, scene: lineScenes[i].text,
                                sampling: SamplingSettings(project.settings), seed: seed ?? self.seed(line: i),
                                stepLimit: project.settings.runawayStop ? SpeakingTime.stepLimit(forSaying: said[i]) : nil)
            request = r
            key = TakeKey.make(r, clipFingerprints: fingerprints, contextKeys: context.map(\.key))
        }
        return LinePlan(line: i, identity: identities[i], transcript: transcripts[i], request: request, problem: problem,
                        context: context, key: key, takes: lineTakes)
    }
}

extension DialoguePlanner {
    /// A request that speaks `text` in one voice alone (a single-voice prompt, as the reference builds it for
    /// one `--ref-audio`), with the project's scene and settings and no context.
    public func auditionRequest(voice: VoiceSlot, library: VoiceLibrary, text: String) throws -> LineRequest {
        if let problem = setupProblem { throw StudioError(problem) }
        let resolved: ResolvedVoice
        do { resolved = try library.resolve(voice) } catch { throw StudioError("\(error)") }
        if let problem = library.controlTokenProblem(of: resolved) ?? ControlTokens.problem(inTranscript: text, "the words to hear") {
            throw StudioError(problem)
        }
        return LineRequest(transcript: text, speaker: nil, voices: voice == .automatic ? [] : [resolved], speakerTags: [],
                           scene: scene, sampling: SamplingSettings(project.settings), seed: project.settings.seed,
                           // An audition (a voice, a respelling to hear) runs on no longer than a line of its words would.
                           stepLimit: project.settings.runawayStop ? SpeakingTime.stepLimit(forSaying: text) : nil)
    }
}

/// SHA-256 of clip files, remembered by path, size and modification time (clips are read once).
public final class ClipFingerprints: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [String: (size: Int, modified: Date, hash: String)] = [:]

    public init() {}

    public func fingerprint(_ url: URL) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        lock.lock()
        if let k = known[url.path], k.size == size, k.modified == modified {
            lock.unlock()
            return k.hash
        }
        lock.unlock()
        guard let data = try? Data(contentsOf: url) else { return nil }
        let hash = SHA256.hex(data)
        lock.lock()
        known[url.path] = (size, modified, hash)
        lock.unlock()
        return hash
    }
}
