import Foundation
import Prompt

/// Who speaks each line and with which voice: named speakers mapped to `[SPEAKERn]` tags (cast member `i`
/// is `SPEAKERi`), lines without a tag continuing the previous speaker, voices checked against the library.
public struct Casting: Sendable {
    /// The effective speaker of each script line (nil: no speaker so far, or the line has a problem).
    public let lineSpeakers: [Int?]
    /// Lines whose speaker cannot be resolved, with the reason.
    public let lineProblems: [Int: String]
    /// Voice of `SPEAKERi`, for every tag up to the highest one used (past the cast: automatic).
    public let voices: [VoiceSlot]
    /// What the prompt is given of each of `voices`: a clip's audio file and transcript, a profile's description
    /// (empty where the library has none: such a voice is a problem).
    public let resolvedVoices: [ResolvedVoice]
    /// Cast members whose voice cannot be used, by speaker index, with the reason.
    public var voiceProblems: [Int: String] { badVoices.mapValues { "speaker '\($0.name)': \($0.problem)" } }
    /// The same, as the member's name and the voice's problem.
    private let badVoices: [Int: (name: String, problem: String)]
    /// The `SPEAKERn` tags of the whole script, sorted as strings (the reference's order).
    public let speakerTags: [String]
    /// Each line is blank or a note (`ScriptLine.saysNothing`).
    public let saysNothing: [Bool]
    /// Each line's words without its speaker tag, trimmed (kept from the one parse of the script).
    private let bodies: [String]
    /// Who each line names at its start, as written.
    private let references: [SpeakerReference?]

    public init(project: Project, voices library: VoiceLibrary) {
        self.init(project: project, voices: library, after: nil)
    }

    /// The casting of `project`; the lines an edit left as they were are not parsed again, but taken from the
    /// casting before it.
    init(project: Project, voices library: VoiceLibrary, after previous: (casting: Casting, unchanged: UnchangedLines)?) {
        var speakers: [Int?] = []
        var problems: [Int: String] = [:]
        var current: Int?
        var used = Set<Int>()
        var silent: [Bool] = []
        var bodies: [String] = []
        var references: [SpeakerReference?] = []
        for (i, text) in project.script.enumerated() {
            if let previous, let j = previous.unchanged.old(i) {
                silent.append(previous.casting.saysNothing[j])
                bodies.append(previous.casting.bodies[j])
                references.append(previous.casting.references[j])
            } else {
                let line = ScriptLine(text)
                silent.append(line.saysNothing)
                bodies.append(line.body.trimmedOfSpaces)
                references.append(line.speaker)
            }
            switch references[i] {
            case .tag(let n)?:
                current = n
            case .name(let name)?:
                if let n = project.castIndex(named: name) {
                    current = n
                } else if let problem = UncastSpeaker.lengthProblem(of: name) {
                    problems[i] = problem
                } else {
                    problems[i] = "speaker '\(name)' is not in the cast (the studio's cast panel adds them; in the file, `\(name): auto` under `cast:`)"
                    speakers.append(nil)
                    continue
                }
            case nil:
                break
            }
            if silent[i] {
                speakers.append(nil)
                continue
            }
            if let c = current { used.insert(c) }
            speakers.append(current)
        }
        lineSpeakers = speakers
        lineProblems = problems
        saysNothing = silent
        self.bodies = bodies
        self.references = references
        let count = max(project.cast.count, (used.max() ?? -1) + 1)
        let voices = (0..<count).map { $0 < project.cast.count ? project.cast[$0].voice : .automatic }
        self.voices = voices
        let resolved = voices.map { slot -> ResolvedVoice in
            switch slot {
            case .automatic: return .automatic
            case .profile(let name): return .profile(name: name, description: library.profile(named: name)?.description ?? "")
            case .clip(let name):
                // Only a clip the library has is read (one it lacks is a problem; planning without a library reads nothing).
                let transcript = library.clips.contains(name) ? (try? library.clipTranscript(name)) ?? "" : ""
                return .clip(name: name, audio: library.clipAudio(name), transcript: transcript)
            }
        }
        resolvedVoices = resolved
        var badVoices: [Int: (name: String, problem: String)] = [:]
        for (i, member) in project.cast.enumerated() {
            if let problem = library.problem(with: member.voice) ?? library.controlTokenProblem(of: resolved[i]) {
                badVoices[i] = (member.name, problem)
            }
        }
        self.badVoices = badVoices
        speakerTags = used.map { "SPEAKER\($0)" }.sorted()
    }

    /// Why line `i` cannot be generated, or nil: its speaker is unknown, or a voice of the cast is (every
    /// voice is part of every line's prompt, so one bad voice stops them all).
    public func problem(line i: Int) -> String? {
        if let p = lineProblems[i] { return p }
        // The line's own speaker first; else the first bad voice, said to be another's (the writer looks for
        // what is wrong with this line's speaker otherwise).
        if let own = lineSpeakers[i].flatMap({ badVoices[$0] }) { return "speaker '\(own.name)': \(own.problem)" }
        guard let first = badVoices.keys.min(), let other = badVoices[first] else { return nil }
        return "\(other.name)'s voice, which every line's prompt holds: \(other.problem)"
    }

    /// The transcript of line `i` as a request holds it: `[SPEAKERn] body`, or the body alone.
    public func transcript(line i: Int, project: Project) -> String {
        let body = bodies.indices.contains(i) ? bodies[i] : ScriptLine(project.script[i]).body.trimmedOfSpaces
        guard let s = lineSpeakers[i] else { return body }
        return "[SPEAKER\(s)] \(body)"
    }
}

extension Project {
    /// The names at the start of script lines that no cast member has and that are not likely typos of a cast
    /// member's (`UncastSpeaker`), in the order the script first names them: a script written elsewhere
    /// names its speakers without a cast, and the studio casts them as it casts a name typed in a line.
    public var uncastNewcomers: [String] {
        var names = cast.map(\.name), newcomers: [String] = []
        for text in script {
            guard case .newcomer(let name)? = UncastSpeaker(in: text, cast: names) else { continue }
            names.append(name)
            newcomers.append(name)
        }
        return newcomers
    }
}

/// A name at the start of a line that no cast member has, as the writer leaves the line.
public enum UncastSpeaker: Equatable, Sendable {
    /// A new speaker: the studio casts them, with an automatic voice.
    case newcomer(String)
    /// One slip of the keys from a cast member's name (a letter dropped, added or swapped with its
    /// neighbour, another case, or an accent left out or added: Zoe for Zoë): more likely a typo than a new
    /// speaker, so the studio asks. A letter for another is not one (Tim beside Tom is someone else).
    case likelyTypo(String, of: String)
    /// A name no cast member may have for its length: said, with the limit, rather than left uncast in silence.
    case unusable(String, problem: String)

    /// What `text` names that `cast` lacks, or nil (no name, a cast name, a `[SPEAKERn]` tag, or a
    /// name no cast member could have).
    public init?(in text: String, cast: [String]) {
        guard case .name(let name)? = ScriptLine(text, cast: cast).speaker, !cast.contains(name) else { return nil }
        if let problem = Self.lengthProblem(of: name) {
            self = .unusable(name, problem: problem)
            return
        }
        guard CastNames.problem(with: name) == nil else { return nil }
        // `[SPEKAER1]`, `[speaker1]`: a prompt tag mistyped, not a new speaker.
        let letters = name.prefix { $0.isLetter }, digits = name.dropFirst(letters.count).drop { $0 == " " }
        if !digits.isEmpty, digits.count < 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }), Self.oneSlipApart(String(letters), "SPEAKER"),
           let n = Int(digits) {
            self = .likelyTypo(name, of: "SPEAKER\(n)")
            return
        }
        if let member = cast.first(where: { Self.oneSlipApart(name, $0) }) {
            self = .likelyTypo(name, of: member)
        } else {
            self = .newcomer(name)
        }
    }

    /// Why `name`, a name but for its length, cannot be cast; nil when its length is not what is wrong.
    static func lengthProblem(of name: String) -> String? {
        guard name.count > CastNames.longest, CastNames.problem(with: String(name.prefix(CastNames.longest))) == nil else { return nil }
        return "speaker name '\(ProjectFormat.clip(name))' is longer than \(CastNames.longest) characters, the most a cast name has: shorten it"
    }

    private static func oneSlipApart(_ a: String, _ b: String) -> Bool {
        func plain(_ s: String) -> [Character] { Array(s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)) }
        let x = plain(a), y = plain(b)
        if x == y { return true }
        if x.count == y.count {
            let differ = x.indices.filter { x[$0] != y[$0] }
            return differ.count == 2 && differ[1] == differ[0] + 1 && x[differ[0]] == y[differ[1]] && x[differ[1]] == y[differ[0]]
        }
        let (long, short) = x.count > y.count ? (x, y) : (y, x)
        guard long.count == short.count + 1 else { return false }
        let at = zip(long, short).prefix { $0 == $1 }.count
        return Array(long[(at + 1)...]) == Array(short[at...])
    }
}
