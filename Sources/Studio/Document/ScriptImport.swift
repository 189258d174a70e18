import Foundation

/// A script written elsewhere, turned into a project: the turn formats writers already use become
/// `[Name] text` lines, and every name found joins the cast with an automatic voice.
///
/// - A screenplay (Fountain): a character cue in capitals after a blank line (`MARA`, `MARA (V.O.)`,
///   `@McCoy`), then the lines spoken up to a blank line, one turn. Parentheticals (`(whispering)`) are directions
///   to an actor and are dropped, as are the title page, transitions (`CUT TO:`) and centred text; scene
///   headings (`INT. ...`), sections (`# Act One`) and synopses (`= ...`) become notes (`# ...`, never
///   spoken); action lines are read by a Narrator (an untagged line would continue the last character's turn),
///   a forced action's `!` left out. Notes (`[[...]]`) become notes after their line, boneyard (`/* ... */`)
///   and page breaks (`===`) are left out (`FountainText`).
/// - A transcript: `Name: text` lines (`Name：text` too), when the part before the colon could be a cast name of at most
///   four words and the file uses it twice, or it stands next to such a turn in a conversation (someone may
///   speak once): a file of at least two such names, or one whose lines are mostly turns; or the file is
///   nothing but such lines of two names or more (a short exchange); or the name is in capitals (`MARA:`, as
///   scripts label speakers) in a file of turns in most lines (a line of its own too); so that `Note: ...` in prose
///   stays prose. A name in capitals comes in title case (`Mara`), as a screenplay's and subtitles' do. In a
///   transcript, a `Name:` line left as text is remarked on, and so are labels in capitals in prose.
/// - A book's chapter headings (`## Chapter 1: The Arrival`, `CHAPTER TWO` on a line of its own) become
///   `# chapter:` notes (`chapterHeading`).
/// - Subtitles (`.srt`, `.vtt`): the cues' words, a speech a line after a `# at:` note of the cue's time
///   (`SubtitleText`), then as a transcript; the project fits takes up to 10% long to their cues.
/// - `[Name] text` and `[SPEAKERn] text` lines are kept as they are, and so is any other line.
public enum ScriptImport {
    public static let narrator = "Narrator"

    /// A line of the script that does not import as it reads, with its line in the file (from 1).
    public struct Remark: Equatable, Sendable {
        public var line: Int
        public var message: String

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    /// A script as a project, with what of it did not import as it reads; for subtitles, how many cues
    /// kept their text and how many of those a `# at:` note places.
    public struct Imported {
        public var project: Project
        public var remarks: [Remark]
        public var cues: (count: Int, placed: Int)?
    }

    public static func project(from text: String) -> Project { read(text).project }

    public static func read(_ text: String) -> Imported {
        let lines = ProjectFormat.splitLines(text).map { $0.trimmingCharacters(in: .whitespaces) }
        let subtitles = SubtitleText.speeches(lines)
        var importer = subtitles.map { Importer(lines: $0.lines.map(\.text), numbers: $0.lines.map(\.line)) }
            ?? Importer(lines: lines, numbers: lines.indices.map { $0 + 1 })
        var project = importer.run()
        // A dub: its lines are placed at their cues, and a take a little long for its cue is sped up to fit.
        if subtitles != nil { project.settings.fitCues = 10 }
        return Imported(project: project, remarks: (subtitles?.remarks ?? []) + importer.remarks,
                        cues: subtitles.map { ($0.cues, $0.placed) })
    }

    private struct Importer {
        var lines: [String]
        /// Each line's line in the file.
        var numbers: [Int]
        var names: [String] = []
        var script: [String] = []
        var remarks: [Remark] = []

        init(lines: [String], numbers: [Int]) {
            self.lines = lines
            self.numbers = numbers
        }

        mutating func cast(_ name: String) {
            if !names.contains(name) && ScriptLine.speakerTagNumber(name) == nil { names.append(name) }
        }

        func line(_ i: Int) -> String { lines.indices.contains(i) ? lines[i] : "" }

        /// The character a cue at line `i` names: a blank line before it, its dialogue after it.
        func cue(at i: Int) -> String? {
            guard line(i - 1).isEmpty, !line(i + 1).isEmpty else { return nil }
            return ScriptImport.characterCue(lines[i])
        }

        mutating func run() -> Project {
            // A screenplay's notes and boneyard are for its writer: out of the way before its cues are looked for
            // (a cue in the boneyard is none), and in a transcript or prose they are the writer's text.
            let written = (lines, numbers)
            let plain = FountainText.plain(lines, numbers: numbers)
            (lines, numbers) = (plain.lines.map(\.text), plain.lines.map(\.line))
            if lines.indices.contains(where: { cue(at: $0) != nil }) {
                if let open = plain.openBoneyard {
                    remarks.append(Remark(line: open, message: "'/*' opens a boneyard that no '*/' closes: the rest of the script is left out"))
                }
                screenplay()
            } else {
                (lines, numbers) = written
                transcript()
            }
            while script.last == "" { script.removeLast() }
            while script.first == "" { script.removeFirst() }
            // Blank lines kept in pairs or more say nothing in the studio: one is enough.
            script = script.enumerated().filter { $0.offset == 0 || !($0.element.isEmpty && script[$0.offset - 1].isEmpty) }.map(\.element)
            return Project(cast: names.map { CastMember(name: $0, voice: .automatic) }, script: script)
        }

        mutating func screenplay() {
            var i = 0
            // The title page: `Key: value` lines (and their indented continuations) up to the first blank line.
            if let first = lines.first, ScriptImport.colonTurn(first) != nil {
                while i < lines.count && !lines[i].isEmpty { i += 1 }
            }
            while i < lines.count {
                let text = lines[i]
                if text.isEmpty {
                    script.append("")
                    i += 1
                } else if let name = cue(at: i) {
                    // The block's lines are one speech (a screenplay breaks them for the page): one turn.
                    cast(name)
                    i += 1
                    var said: [String] = [], notes: [String] = []
                    while i < lines.count && !lines[i].isEmpty {
                        // A note taken out of the speech follows it.
                        if lines[i].hasPrefix("#") {
                            notes.append(lines[i])
                        } else if !(lines[i].hasPrefix("(") && lines[i].hasSuffix(")")) {
                            said.append(lines[i])
                        }
                        i += 1
                    }
                    if !said.isEmpty { script.append("[\(name)] " + said.joined(separator: " ")) }
                    script += notes
                } else {
                    if let note = ScriptImport.screenplayNote(text) {
                        script.append(note)
                    } else if !ScriptImport.isScreenplayDirection(text) {
                        // `!` makes a line action (one in capitals is no cue): the mark is not read.
                        let action = text.hasPrefix("!") ? text.dropFirst().trimmingCharacters(in: .whitespaces) : text
                        if !action.isEmpty {
                            cast(ScriptImport.narrator)
                            script.append("[\(ScriptImport.narrator)] \(action)")
                        }
                    }
                    i += 1
                }
            }
        }

        mutating func transcript() {
            // `MARA:` is Mara, as in a screenplay or subtitles: one speaker however the file writes her name.
            func turn(_ text: String) -> (name: String, said: String, label: Bool)? {
                guard let (name, said) = ScriptImport.colonTurn(text) else { return nil }
                let titled = ScriptImport.fromCapitals(name)
                return (titled ?? name, said, titled != nil)
            }
            var uses: [String: Int] = [:]
            for text in lines { if let (name, _, _) = turn(text) { uses[name, default: 0] += 1 } }
            let regulars = Set(uses.filter { $0.value >= 2 }.keys)
            func isSentence(_ name: String) -> Bool { name.contains { ".,!?".contains($0) } }
            let spoken = lines.filter { !$0.isEmpty && !ScriptLine($0).isNote }
            let turns = spoken.filter { ScriptImport.colonTurn($0) != nil || ScriptLine($0).speaker != nil }.count
            // Nothing but turns, of two names or more with no sentence in them (a short exchange pasted):
            // each is a turn.
            let onlyTurns = uses.count >= 2 && !uses.keys.contains(where: isSentence) && turns == spoken.count
            // A name in capitals is how scripts label a speaker, where prose writes `Note:`: in a file of
            // turns in most lines (a line of its own too), it is a turn even said once.
            let mostlyTurns = 2 * turns > spoken.count
            func isRegularTurn(_ i: Int) -> Bool { turn(line(i)).map { regulars.contains($0.name) } ?? false }
            // Someone who speaks once is a turn next to the turn of someone who speaks twice in a conversation:
            // two such regulars, or turns in most lines (a stray line without a name does not make the
            // exchange prose). In prose, a lone `Note:` is not next to a regular's turn.
            func speaksOnceInTurn(_ i: Int, _ name: String) -> Bool {
                (isRegularTurn(i - 1) || isRegularTurn(i + 1)) && (regulars.count >= 2 || (mostlyTurns && !isSentence(name)))
            }
            var leftAsText: [(line: Int, name: String, label: Bool)] = []
            for (i, text) in lines.enumerated() {
                if let title = ScriptImport.chapterHeading(text) {
                    script.append("# chapter: \(title)")
                } else if case .name(let name)? = ScriptLine(text).speaker, CastNames.problem(with: name) == nil {
                    cast(name)
                    script.append(text)
                } else if let (name, said, label) = turn(text),
                          onlyTurns || regulars.contains(name) || (label && mostlyTurns) || speaksOnceInTurn(i, name) {
                    cast(name)
                    script.append("[\(name)] \(said)")
                } else {
                    if let (name, _, label) = turn(text) { leftAsText.append((i, name, label)) }
                    script.append(text)
                }
            }
            // In a transcript, a `Name:` line kept as text may be a speaker this rule missed: it is said. In
            // prose (no turns) they are prose, but for names in capitals, two or more, which read as speakers' labels
            // (a novel with a few `MARA:` and `THEO:` lines would otherwise lose them without a word; a lone
            // `WARNING:` is prose).
            let transcript = uses.keys.contains(where: names.contains)
            let labels = Set(leftAsText.filter(\.label).map(\.name)).count >= 2
            for (i, name, label) in leftAsText where transcript || (label && labels) {
                let why = !transcript ? "is in capitals, as a speaker's label, but most lines are not turns"
                    : !(isRegularTurn(i - 1) || isRegularTurn(i + 1)) ? "is used once, not next to a turn of a name used twice"
                    : isSentence(name) ? "is used once and reads as a sentence" : "is used once, and most lines are not turns"
                let written = label ? String(line(i).prefix { $0 != ":" && $0 != "：" }).trimmingCharacters(in: .whitespaces) : name
                remarks.append(Remark(line: numbers[i], message: "left as text: '\(written):' \(why) (write [\(name)] to make it a turn)"))
            }
        }
    }

    /// A book's chapter heading, as its title for a `# chapter:` note: a Markdown heading (`## Chapter 1: The
    /// Arrival`) that starts with Chapter, Part, Prologue or Epilogue, or a line of its own that does and is a heading
    /// (`CHAPTER ONE`, `Chapter 12 — The Sea`, `Prologue: The Storm`), not a sentence (`Chapter 3 was long.`); nil
    /// for any other line (a `# chapter:` note is one already).
    static func chapterHeading(_ line: String) -> String? {
        var heading = line
        let markdown = line.hasPrefix("# ") || line.hasPrefix("## ") || line.hasPrefix("### ")
        if markdown { heading = String(line.drop { $0 == "#" }).trimmingCharacters(in: .whitespaces) }
        let words = heading.split(separator: " ").map(String.init)
        guard let first = words.first, words.count <= 10, !heading.lowercased().hasPrefix("chapter:") else { return nil }
        let word = first.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ":.—–-"))
        // What follows the word ("1", "One:", "II") or the word itself ends the heading's start: a separator or the end.
        let numbered = ["chapter", "part"].contains(word)
        let lead = numbered ? (words.count > 1 ? words[1] : "") : first
        if numbered {
            // A number or a number's word: "Chapter 1", "CHAPTER ONE", "Part II"; not "Part of me".
            guard let c = lead.first, c.isNumber || c.isUppercase else { return nil }
        } else {
            guard ["prologue", "epilogue"].contains(word) else { return nil }
        }
        let leadWords = numbered ? 2 : 1
        guard markdown || words.count == leadWords || lead.last.map({ ":.—–-".contains($0) }) == true
                || (words.count > leadWords && ["—", "–", "-", ":"].contains(words[leadWords])) else { return nil }
        // In capitals as a heading is set (`CHAPTER ONE`): as a title is written.
        return fromCapitals(heading) ?? heading
    }

    /// `Name: text` (or a full-width `Name：text`), the name a possible cast name of at most four words,
    /// the text not empty.
    static func colonTurn(_ line: String) -> (String, String)? {
        guard let colon = line.firstIndex(where: { $0 == ":" || $0 == "：" }) else { return nil }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let said = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !said.isEmpty, !name.isEmpty, name.split(separator: " ").count <= 4,
              CastNames.problem(with: name) == nil, !said.hasPrefix("//") else { return nil }
        return (name, said)
    }

    /// A screenplay character cue: capitals (with digits, spaces and `.'-`), or `@` and any name, with an
    /// optional extension in parentheses (`(V.O.)`, `(CONT'D)`) and Fountain's dual-dialogue `^`; the name
    /// comes back in title case (`MARA` -> `Mara`). Scene headings and transitions are not cues.
    static func characterCue(_ line: String) -> String? {
        guard !isScreenplayDirection(line) else { return nil }
        var name = line
        if name.hasSuffix("^") { name.removeLast() }
        if let open = name.firstIndex(of: "("), name.hasSuffix(")") { name = String(name[..<open]) }
        name = name.trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("@") {
            name.removeFirst()
        } else {
            guard let titled = fromCapitals(name), name.allSatisfy({ $0.isLetter || $0.isNumber || " .'-".contains($0) }) else {
                return nil
            }
            name = titled
        }
        guard !name.isEmpty, CastNames.problem(with: name) == nil else { return nil }
        return name
    }

    /// A name written in capitals (`MARA`, `BRIDGET O'NEIL`, `JEAN-LUC`), as scripts write speakers, in title case
    /// (`Mara`, `Bridget O'Neil`, `Jean-Luc`): a capital after a hyphen, and after an apostrophe with two letters or
    /// more after it (`O'Brien`, not `John'S`); nil when it is not all capitals.
    static func fromCapitals(_ name: String) -> String? {
        let letters = name.filter(\.isLetter)
        guard !letters.isEmpty, letters.allSatisfy({ $0.isUppercase }) else { return nil }
        // A Roman numeral after the first word stays in capitals (`HENRY VIII`, `PART II`).
        func isNumeral(_ word: Substring) -> Bool { word.count >= 2 && word.allSatisfy { "IVXLCDM".contains($0) } }
        let words = name.split(separator: " ", omittingEmptySubsequences: false)
        if words.dropFirst().contains(where: isNumeral) {
            return words.enumerated().map { k, word in
                k > 0 && isNumeral(word) ? String(word) : fromCapitals(String(word)) ?? String(word)
            }.joined(separator: " ")
        }
        let chars = Array(name)
        var out = ""
        for (i, c) in chars.enumerated() {
            let before: Character? = i > 0 ? chars[i - 1] : nil
            let lettersAfter = chars[(i + 1)...].prefix(while: \.isLetter).count
            let starts = before == nil || before == " " || before == "-" || (before == "'" && lettersAfter >= 1 && i >= 2)
            out += starts ? String(c) : c.lowercased()
        }
        return out
    }

    /// What of a screenplay's structure stays as a note (`# ...`) for the writer to find their way: its
    /// sections (`# Act One`), synopses (`= ...`) and scene headings.
    static func screenplayNote(_ line: String) -> String? {
        if line.hasPrefix("#") { return line }
        if line.hasPrefix("=") && !line.hasPrefix("===") { return "# " + line.dropFirst().trimmingCharacters(in: .whitespaces) }
        guard isScreenplayDirection(line), !line.hasPrefix(">"), !line.hasPrefix("===") else { return nil }
        let upper = line.uppercased()
        guard !(line == upper && (line.hasSuffix("TO:") || line.hasPrefix("FADE"))) else { return nil }
        return "# " + (line.hasPrefix(".") ? String(line.dropFirst()) : line)
    }

    /// Scene headings, transitions, centred text and page breaks: for the reader of a screenplay, not for a voice.
    static func isScreenplayDirection(_ line: String) -> Bool {
        let upper = line.uppercased()
        let headings = ["INT.", "EXT.", "INT/EXT", "INT./EXT", "I/E", "EST."]
        if headings.contains(where: { upper.hasPrefix($0 + " ") || upper == $0 }) { return true }
        if line.hasPrefix(".") && !line.hasPrefix("..") { return true }            // a forced heading
        if line.hasPrefix(">") { return true }                                      // a transition or centred text
        if line.count >= 3 && line.allSatisfy({ $0 == "=" }) { return true }        // a page break
        return line == upper && line.contains(where: \.isLetter) && (line.hasSuffix("TO:") || line.hasPrefix("FADE"))
    }
}
