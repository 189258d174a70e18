import Foundation
import AudioIO
import Prompt

/// A problem in a project file, at a line. `description` is `file:line: problem`.
public struct ProjectError: Error, Equatable, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int
    public let problem: String

    public init(file: String, line: Int, _ problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String { "\(file):\(line): \(problem)" }
}

/// Something in a project file that does not stop it opening but that its writer should know of (a setting
/// this version does not read). `description` is `file:line: what`.
public struct ProjectWarning: Equatable, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int
    public let what: String

    public init(file: String, line: Int, _ what: String) {
        self.file = file
        self.line = line
        self.what = what
    }

    public var description: String { "\(file):\(line): \(what)" }
}

/// The `*.higgs` text format: a header of sections, then the script.
///
/// ```
/// scene: quiet_studio            (a name from Scenes/, or `scene: |` and an indented block)
///
/// cast:
///   Mara: profile:warm_host      (auto, a clip NAME from Voices/, or profile:NAME)
///   Theo: auto
///
/// pronounce:                     (words the voices are to say otherwise than written)
///   Siobhan: Shiv-awn
///
/// settings:
///   temperature: 0.7
///   ...
///
/// script:
/// [Mara] Good evening.           (one turn per line, verbatim to the end of the file)
/// ```
/// `print` writes this canonical form; `parse(print(p)) == p` and `print(parse(t)) == t` for canonical `t`.
/// Blank lines and `#` comment lines are allowed in the header and not kept. A setting this version does not
/// read is kept as written (`Project.unknownSettings`) and told as a warning, not refused: a project written by a
/// newer version opens here, and a save here keeps what that version wrote.
public enum ProjectFormat {
    /// Setting keys in canonical order, with what each accepts (for messages).
    public static let settingKeys: [(key: String, accepts: String)] = [
        ("temperature", "a number >= 0 (0 is greedy)"),
        ("top-k", "a whole number >= 0 (0 disables)"),
        ("top-p", "a number in (0, 1]"),
        ("ras-window", "a whole number >= 0 (0 disables repetition-aware sampling)"),
        ("ras-repeats", "a whole number >= 1"),
        ("seed", "a whole number >= 0"),
        ("chunk-buffer", "a whole number >= 0 (previous lines given as context)"),
        ("max-new-tokens", "a whole number >= 1"),
        ("gap", "seconds >= 0 between lines in exports"),
        ("trim", "on (cut the silence a take starts and ends with to 0.05 s and 0.15 s, so lines are a gap apart) or off"),
        ("loudness", "LUFS of each line in exports, -40 to -5 (podcasts -16), or off"),
        ("mp3", "kbit/s of MP3s of the dialogue and chapters in exports (podcasts 128, audiobooks 192), or off"),
        ("audiobook", "on (chapters framed with room tone, peaks under -3.5 dB, checked against ACX's requirements) or off"),
        ("runaway-stop", "on (stop a take running far past its words: 4 s and 1 s a word) or off"),
        ("fit-cues", "percent, 1 to 25: a line longer than its # at: cue is sped up that much at most to fit, pitch kept; or off"),
    ]

    // MARK: Printing

    public static func print(_ project: Project) -> String {
        var out = ""
        switch project.scene {
        case .none: break
        case .named(let name): out += "scene: \(name)\n\n"
        case .inline(let text):
            out += "scene: |\n"
            for line in splitLines(text) {
                out += line.isEmpty ? "\n" : "  \(line)\n"
            }
            out += "\n"
        }
        if !project.cast.isEmpty {
            out += "cast:\n"
            for member in project.cast { out += "  \(member.name): \(member.voice)\n" }
            out += "\n"
        }
        if !project.pronunciations.isEmpty {
            out += "pronounce:\n"
            for p in project.pronunciations { out += "  \(p.word): \(p.sayAs)\n" }
            out += "\n"
        }
        out += "settings:\n"
        let known = settingValues(project.settings)
        // Each unknown setting goes back after the known one it followed (first when none; last when that one
        // is not a setting of this version either, which only code that builds a Project can ask for).
        func slot(_ kept: UnknownSetting) -> Int {
            guard let after = kept.after else { return -1 }
            return known.firstIndex { $0.0 == after } ?? known.count - 1
        }
        func writeKept(at index: Int) {
            for kept in project.unknownSettings where slot(kept) == index {
                out += kept.value.isEmpty ? "  \(kept.key):\n" : "  \(kept.key): \(kept.value)\n"
            }
        }
        writeKept(at: -1)
        for (index, (key, value)) in known.enumerated() {
            out += "  \(key): \(value)\n"
            writeKept(at: index)
        }
        out += "\nscript:\n"
        for line in project.script { out += line + "\n" }
        return out
    }

    /// Each setting's key and written value, in canonical order.
    public static func settingValues(_ s: GenerationSettings) -> [(String, String)] {
        [("temperature", format(s.temperature)), ("top-k", "\(s.topK)"), ("top-p", format(s.topP)),
         ("ras-window", "\(s.rasWindow)"), ("ras-repeats", "\(s.rasRepeats)"), ("seed", "\(s.seed)"),
         ("chunk-buffer", "\(s.chunkBuffer)"), ("max-new-tokens", "\(s.maxNewTokens)"), ("gap", format(s.gap)),
         ("trim", s.trim ? "on" : "off"),
         ("loudness", s.loudness.map(format) ?? "off"), ("mp3", s.mp3.map(String.init) ?? "off"),
         ("audiobook", s.audiobook ? "on" : "off"),
         ("runaway-stop", s.runawayStop ? "on" : "off"), ("fit-cues", s.fitCues.map(String.init) ?? "off")]
    }

    /// Shortest text that reads back to the same Double (`0.7`, `1.0`).
    static func format(_ value: Double) -> String { "\(value)" }

    // MARK: Parsing

    /// The header's sections, in canonical order.
    static let sections = ["scene", "cast", "pronounce", "settings", "script"]

    /// A project as read, and what the writer should be told of its file.
    public struct Parsed: Sendable {
        public var project: Project
        public var warnings: [ProjectWarning]
    }

    /// Parses a project file's text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> Project {
        try read(text, file: file).project
    }

    /// Parses a project file's text, with warnings (settings this version keeps without reading); `file` names it
    /// in errors and warnings.
    public static func read(_ text: String, file: String) throws -> Parsed {
        var unknownLines: [Int] = []
        let project = try parse(text, file: file, unknownLines: &unknownLines)
        let warning = unknownSettingsWarning(Array(zip(project.unknownSettings.map(\.key), unknownLines)), file: file)
        return Parsed(project: project, warnings: warning.map { [$0] } ?? [])
    }

    /// One warning for all the settings kept without being read, at the first one's line. It does not list the
    /// settings this version reads (the settings dialog does): it stays short enough for the studio's message row.
    private static func unknownSettingsWarning(_ kept: [(key: String, line: Int)], file: String) -> ProjectWarning? {
        guard let first = kept.first else { return nil }
        guard kept.count > 1 else {
            return ProjectWarning(file: file, line: first.line,
                                  "unknown setting '\(clip(first.key))': this version does not use it and keeps it as written")
        }
        let others = kept.dropFirst().map { "'\(clip($0.key))' (line \($0.line))" }
        return ProjectWarning(file: file, line: first.line, "unknown settings '\(clip(first.key))', \(others.joined(separator: ", ")): "
                              + "this version does not use them and keeps them as written")
    }

    /// Parses the lines; `unknownLines` gets the line of each of `unknownSettings` (for the warning).
    private static func parse(_ text: String, file: String, unknownLines: inout [Int]) throws -> Project {
        // An empty file (made with `touch`, or by an editor) is a new project.
        if text.allSatisfy(\.isWhitespace) { return Project() }
        var lines = splitLines(text)
        if lines.last == "" { lines.removeLast() }

        var project = Project()
        var seen = Set<String>()
        var i = 0
        func fail(_ line: Int, _ problem: String) -> ProjectError { ProjectError(file: file, line: line + 1, problem) }

        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                i += 1
                continue
            }
            if line.first == " " || line.first == "\t" {
                throw fail(i, "indented line outside a section (sections: \(sections.joined(separator: ", ")))")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw fail(i, "expected `section:` (\(sections.joined(separator: ", "))), found '\(clip(line))'" + importHint)
            }
            let section = String(line[..<colon])
            let rest = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard sections.contains(section) else {
                throw fail(i, "unknown section '\(clip(section))' (sections: \(sections.joined(separator: ", ")))")
            }
            guard seen.insert(section).inserted else { throw fail(i, "second '\(section):' section") }

            switch section {
            case "script":
                guard rest.isEmpty else { throw fail(i, "'script:' takes no value; the script starts on the next line") }
                // Indented as the header's sections are, the lines keep no indent: it means nothing to a line, and
                // text typed before it (Home) would push a speaker's tag off the line's start.
                project.script = lines[(i + 1)...].map { String($0.drop { $0 == " " || $0 == "\t" }) }
                return project
            case "scene":
                if rest == "|" {
                    var block: [String] = []
                    i += 1
                    while i < lines.count {
                        let l = lines[i]
                        if l.isEmpty { block.append(""); i += 1; continue }
                        guard l.hasPrefix("  ") else { break }
                        block.append(String(l.dropFirst(2)))
                        i += 1
                    }
                    while block.last == "" { block.removeLast() }
                    guard !block.isEmpty else { throw fail(i - 1, "'scene: |' needs an indented block of text below it") }
                    project.scene = .inline(block.joined(separator: "\n"))
                    continue
                } else if rest.isEmpty {
                    throw fail(i, "'scene:' needs a name from Scenes/ or `|` and an indented block")
                } else if SceneLibrary.isValidName(rest) {
                    project.scene = .named(rest)
                } else {
                    project.scene = .inline(rest)
                }
                i += 1
            default: // cast, pronounce, settings: indented `key: value` entries
                guard rest.isEmpty else { throw fail(i, "'\(section):' takes indented entries on the lines below it") }
                i += 1
                var keys = Set<String>()
                var lastKnownSetting: String?
                while i < lines.count {
                    let l = lines[i]
                    let t = l.trimmingCharacters(in: .whitespaces)
                    if t.isEmpty || t.hasPrefix("#") {
                        i += 1
                        continue
                    }
                    guard l.first == " " || l.first == "\t" else { break }
                    guard let c = t.firstIndex(of: ":") else {
                        throw fail(i, "expected `name: value` in '\(section):', found '\(clip(t))'")
                    }
                    let key = t[..<c].trimmingCharacters(in: .whitespaces)
                    let value = t[t.index(after: c)...].trimmingCharacters(in: .whitespaces)
                    guard keys.insert(key).inserted else { throw fail(i, "'\(key)' appears twice in '\(section):'") }
                    if section == "cast" {
                        try parseCastEntry(name: key, value: value, into: &project, at: i, fail: fail)
                    } else if section == "pronounce" {
                        if let problem = Pronunciation.problem(word: key) ?? Pronunciation.problem(sayAs: value, word: key) {
                            throw fail(i, problem)
                        }
                        project.pronunciations.append(Pronunciation(word: key, sayAs: value))
                    } else if settingKeys.contains(where: { $0.key == key }) {
                        // A known key whose value does not read is still an error: that setting would not be what was written.
                        try parseSetting(key: key, value: value, into: &project.settings, at: i, fail: fail)
                        lastKnownSetting = key
                    } else {
                        guard !key.isEmpty else { throw fail(i, "a setting needs a name before ':', found '\(clip(t))'") }
                        project.unknownSettings.append(UnknownSetting(key: key, value: value, after: lastKnownSetting))
                        unknownLines.append(i + 1)
                    }
                    i += 1
                }
            }
        }
        throw ProjectError(file: file, line: max(lines.count, 1), "no 'script:' section (the script follows a line `script:`)" + importHint)
    }

    /// A file of dialogue lines (or of anything else) opened as a project: where a project is made of it.
    static let importHint = "; a script written elsewhere becomes a project with `higgs import FILE`"

    private static func parseCastEntry(name: String, value: String, into project: inout Project, at i: Int,
                                       fail: (Int, String) -> ProjectError) throws {
        if let problem = CastNames.problem(with: name) { throw fail(i, problem) }
        guard !value.isEmpty else { throw fail(i, "speaker '\(name)' has no voice (use auto, a clip name or profile:NAME)") }
        guard let slot = VoiceSlot(written: value) else {
            throw fail(i, "'\(clip(value))' is not a voice (use auto, a clip name from Voices/ or profile:NAME)")
        }
        project.cast.append(CastMember(name: name, voice: slot))
    }

    /// The written value one step up or down from `value` (the settings dialog's arrows). A step past a
    /// setting's range is refused by `applySetting`, but for those that can be off: off then, and the first
    /// step from off is the usual value (-16 LUFS, 128 kbit/s). On and off settings toggle.
    public static func step(_ key: String, from value: String, up: Bool) -> String {
        let sign: Double = up ? 1 : -1
        switch key {
        case "runaway-stop", "audiobook", "trim":
            return value == "on" ? "off" : "on"
        case "mp3":
            let rates = MP3File.bitrates
            guard let i = Int(value).flatMap(rates.firstIndex(of:)) else { return "128" }
            return rates.indices.contains(i + Int(sign)) ? String(rates[i + Int(sign)]) : "off"
        case "loudness":
            let next = Double(value).map { $0 + sign } ?? -16
            return (-40...(-5)).contains(next) ? String(Int(next)) : "off"
        case "fit-cues":
            let next = Int(value).map { $0 + Int(sign) } ?? 10
            return (1...25).contains(next) ? String(next) : "off"
        default:
            let steps: [String: Double] = ["temperature": 0.05, "top-k": 5, "top-p": 0.01, "ras-window": 1, "ras-repeats": 1,
                                           "seed": 1, "chunk-buffer": 1, "max-new-tokens": 256, "gap": 0.05]
            let next = (Double(value) ?? 0) + sign * (steps[key] ?? 1)
            return next == next.rounded() && !["temperature", "top-p", "gap"].contains(key)
                ? String(Int(next)) : String(format: "%.2f", next)
        }
    }

    /// Sets one setting from its written value (the settings dialog); the error says what the key accepts.
    public static func applySetting(_ key: String, _ value: String, to settings: inout GenerationSettings) throws {
        do {
            try parseSetting(key: key, value: value, into: &settings, at: 0) { ProjectError(file: "", line: $0 + 1, $1) }
        } catch let error as ProjectError {
            throw StudioError(error.problem)
        }
    }

    private static func parseSetting(key: String, value: String, into s: inout GenerationSettings, at i: Int,
                                     fail: (Int, String) -> ProjectError) throws {
        guard let accepts = settingKeys.first(where: { $0.key == key })?.accepts else {
            throw fail(i, "unknown setting '\(clip(key))' (settings: \(settingKeys.map(\.key).joined(separator: ", ")))")
        }
        func bad() -> ProjectError { fail(i, "\(key) must be \(accepts), found '\(clip(value))'") }
        func double(_ ok: (Double) -> Bool) throws -> Double {
            guard let v = Double(value), v.isFinite, ok(v) else { throw bad() }
            return v
        }
        func int(_ ok: (Int) -> Bool) throws -> Int {
            guard let v = Int(value) else {
                // Digits past what a number here can be: saying only what it must be reads as if it were not one.
                if !value.isEmpty, value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber) {
                    throw fail(i, "\(key) must be \(accepts), found '\(clip(value))', far too large")
                }
                throw bad()
            }
            guard ok(v) else { throw bad() }
            return v
        }
        func onOff() throws -> Bool {
            guard value == "on" || value == "off" else { throw bad() }
            return value == "on"
        }
        switch key {
        case "temperature": s.temperature = try double { $0 >= 0 }
        case "top-k": s.topK = try int { $0 >= 0 }
        case "top-p": s.topP = try double { $0 > 0 && $0 <= 1 }
        case "ras-window": s.rasWindow = try int { $0 >= 0 }
        case "ras-repeats": s.rasRepeats = try int { $0 >= 1 }
        case "seed":
            guard let v = UInt64(value) else { throw bad() }
            s.seed = v
        case "chunk-buffer": s.chunkBuffer = try int { $0 >= 0 }
        case "max-new-tokens": s.maxNewTokens = try int { $0 >= 1 }
        case "gap": s.gap = try double { $0 >= 0 && $0 <= 60 }
        case "trim": s.trim = try onOff()
        case "loudness": s.loudness = value == "off" ? nil : try double { $0 >= -40 && $0 <= -5 }
        case "mp3":
            guard value != "off" else { s.mp3 = nil; return }
            guard let v = Int(value), MP3File.bitrates.contains(v) else {
                let known = MP3File.bitrates.map(String.init).joined(separator: ", ")
                throw fail(i, "mp3 must be an MP3 bitrate (\(known)) or off, found '\(clip(value))'")
            }
            s.mp3 = v
        case "audiobook": s.audiobook = try onOff()
        case "runaway-stop": s.runawayStop = try onOff()
        case "fit-cues": s.fitCues = value == "off" ? nil : try int { (1...25).contains($0) }
        default: throw bad()
        }
    }

    /// Lines of a text, split at LF or CRLF (on scalars: Swift counts CRLF as one character).
    public static func splitLines(_ text: String) -> [String] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var scalars = String.UnicodeScalarView(line)
            if scalars.last == "\r" { scalars.removeLast() }
            return String(scalars)
        }
    }

    /// Long offending text is cut in messages so they stay one line.
    static func clip(_ text: some StringProtocol) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : String(text)
    }
}

/// Rules for cast names: they appear as `[Name]` at the start of script lines.
public enum CastNames {
    /// The name among `names` that `name` differs from only in capitals or accents (mara for Mara, Zoe for
    /// Zoë): two such speakers would read as one in the script, so a new name may not be one.
    public static func lookAlike(of name: String, among names: [String]) -> String? {
        func plain(_ s: String) -> String { s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil) }
        return names.first { plain($0) == plain(name) }
    }

    /// The most characters a cast name has: it is shown in the cast panel and names the speaker's stem file.
    public static let longest = 32

    /// Why `name` cannot be a cast name, or nil when it can.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "a speaker needs a name" }
        if name.count > longest { return "speaker name '\(ProjectFormat.clip(name))' is longer than \(longest) characters" }
        if let bad = name.first(where: { "[]:#".contains($0) || $0.isNewline || $0 == "\t" }) {
            return "speaker name '\(name)' contains '\(bad)'"
        }
        if name.first == " " || name.last == " " { return "speaker name '\(name)' starts or ends with a space" }
        if ScriptLine.speakerTagNumber(name) != nil {
            return "'\(name)' is a prompt tag; name the speaker (cast member i is [SPEAKERi])"
        }
        if EventTag.isEvent(name) { return "'\(name)' is an event tag, not a speaker name" }
        return nil
    }
}
