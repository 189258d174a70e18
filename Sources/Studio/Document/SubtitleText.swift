import Foundation

/// The words of a subtitle file (SubRip `.srt` or WebVTT `.vtt`), one line per speech, for `ScriptImport`:
/// a film's or a game's subtitles are the script of its dub. Each cue's time becomes a `# at:` note before
/// its first speech (`Cue`), so that exports put the dub's lines where the picture has them; cue numbers,
/// settings and styling go; a WebVTT voice (`<v Mara>`) or a label (`MARA: ...`) becomes a `[Mara]` turn;
/// a cue of two speakers (`- Hi.` / `- Hello.`, or `MARA: Hi.` / `THEO: Hello.`) is two lines; the blank
/// lines between cues are not kept; cues out of time order are put in it. No words are lost to a cue that
/// does not read: its text is kept (at its start when only that reads, else without a time) and a remark
/// names the cue and its line.
enum SubtitleText {
    struct Read {
        /// The speeches and notes, each with its line in the file (from 1).
        var lines: [(line: Int, text: String)] = []
        var remarks: [ScriptImport.Remark] = []
        /// The cues whose text was kept, and how many of them are placed by a `# at:` note.
        var cues = 0
        var placed = 0
    }

    /// The cue lines of `lines` when they are subtitles, else nil.
    static func speeches(_ lines: [String]) -> Read? {
        // Blocks of lines between blank lines, each with the index of its first line.
        var blocks: [(start: Int, lines: [String])] = []
        for (i, line) in lines.enumerated() where !line.isEmpty {
            if i > 0, !lines[i - 1].isEmpty, !blocks.isEmpty { blocks[blocks.count - 1].lines.append(line) } else { blocks.append((i, [line])) }
        }
        let isVTT = blocks.first?.lines[0].hasPrefix("WEBVTT") == true
        let isSRT = blocks.contains { $0.lines.count >= 2 && Int($0.lines[0]) != nil && isTiming($0.lines[1]) }
        guard isVTT || isSRT else { return nil }
        var read = Read()
        var ordinal = 0
        // Each cue's lines, put in time order at the end.
        var cues: [TimedCue] = []
        // The cues of several speakers with no names: one remark for them all (an unlabelled film has many).
        var unnamedCues: [(name: String, line: Int)] = []
        for (k, block) in blocks.enumerated() {
            let first = block.lines[0]
            // WebVTT's header, comments, styles and regions are for the player.
            if isVTT && (k == 0 || ["NOTE", "STYLE", "REGION"].contains { first == $0 || first.hasPrefix($0 + " ") }) { continue }
            ordinal += 1
            // A cue: its number (or WebVTT identifier), its timing, its text.
            let timingAt = block.lines.prefix(2).firstIndex { $0.contains("-->") }
            let numbered = timingAt == 0 ? nil : Int(first)
            let name = "cue \(numbered ?? ordinal)"
            let textAt = timingAt.map { $0 + 1 } ?? (numbered == nil ? 0 : 1)
            let (speeches, unnamed) = split(block.lines.indices.dropFirst(textAt).map { (block.start + $0 + 1, block.lines[$0]) })
            guard !speeches.isEmpty else { continue }
            read.cues += 1
            let line = block.start + (timingAt ?? 0) + 1
            if unnamed > 0 { unnamedCues.append((name, line)) }
            var note: Cue?
            if let timingAt {
                let timing = block.lines[timingAt]
                switch reading(timing) {
                case .cue(let cue):
                    note = cue
                case .start(let cue, let problem):
                    note = cue
                    read.remarks.append(.init(line: line, message: "\(name)'s \(problem); it is placed at its start, without an end"))
                case nil:
                    read.remarks.append(.init(line: line, message: "\(name)'s timing '\(ProjectFormat.clip(timing))' does not read; "
                                              + "its text is kept without a time"))
                }
            } else {
                read.remarks.append(.init(line: line, message: "\(name) has no timing line (`00:00:01,000 --> 00:00:02,000`); "
                                          + "its text is kept without a time"))
            }
            if let note { read.placed += 1 }
            cues.append(TimedCue(name: name, line: line, start: note?.start,
                                 lines: (note.map { [(line, "# at: \($0.written)")] } ?? []) + speeches))
        }
        if let first = unnamedCues.first {
            read.remarks.append(.init(line: first.line, message: (unnamedCues.count == 1 ? "\(first.name) has" : "\(first.name) and "
                + "\(unnamedCues.count - 1) other \(unnamedCues.count == 2 ? "cue have" : "cues have")") + " speakers ('- ') without names: "
                + "a speech after the first in a cue is said by the speaker before it; give each its [Name]"))
        }
        read.lines = inTimeOrder(cues, remarks: &read.remarks).flatMap(\.lines)
        read.remarks.sort { $0.line < $1.line }
        return read
    }

    /// A cue read: its name ("cue 12") and timing line, its start when that reads, its note and speeches.
    private struct TimedCue {
        var name: String
        var line: Int
        var start: Double?
        var lines: [(line: Int, text: String)]
    }

    /// The cues by their start (a cue without a time stays after the one before it), and a remark for each one
    /// that starts before a cue above it in the file: a dub's script runs in the picture's order.
    private static func inTimeOrder(_ cues: [TimedCue], remarks: inout [ScriptImport.Remark]) -> [TimedCue] {
        var latest: (name: String, start: Double)?
        var keys: [Double] = []
        for cue in cues {
            if let start = cue.start, let before = latest, start < before.start {
                remarks.append(.init(line: cue.line, message: "\(cue.name) (\(Cue(start: start).written)) starts before \(before.name) "
                                     + "(\(Cue(start: before.start).written)) above it; it is put before it, in time order"))
            }
            if let start = cue.start, start >= latest?.start ?? -.infinity { latest = (cue.name, start) }
            keys.append(cue.start ?? keys.last ?? 0)
        }
        return cues.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }.map { cues[$0] }
    }

    /// `00:00:01,000 --> 00:00:02,500` (and WebVTT's `00:01.000 --> ...` with settings after it).
    static func isTiming(_ line: String) -> Bool {
        guard let arrow = line.range(of: "-->") else { return false }
        let start = line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
        return !start.isEmpty && start.allSatisfy { $0.isNumber || ":,.".contains($0) } && start.contains(":")
    }

    private enum Timing {
        case cue(Cue)
        /// Only the start reads, or the end comes before it: what is wrong.
        case start(Cue, String)
    }

    /// The times of a timing line, without WebVTT's settings after them (`align:start`); nil when its start
    /// does not read.
    private static func reading(_ line: String) -> Timing? {
        guard let arrow = line.range(of: "-->"),
              let start = Cue.seconds(line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)) else { return nil }
        let written = line[arrow.upperBound...].split(separator: " ").first.map(String.init) ?? ""
        guard let end = Cue.seconds(written) else {
            return .start(Cue(start: start), written.isEmpty ? "timing has no end" : "end '\(ProjectFormat.clip(written))' does not read")
        }
        guard end >= start else {
            let begins = line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
            return .start(Cue(start: start), "end \(written) comes before its start \(begins)")
        }
        return .cue(Cue(start: start, end: end))
    }

    /// A cue's lines as speeches, each with the line it starts on: a voice span is a turn, `- ` or a name in
    /// capitals and a colon (`THEO: ...`) starts another speaker, other lines run on. `unnamed`: the speeches
    /// after the first that `- ` starts without a name.
    private static func split(_ cue: [(Int, String)]) -> (speeches: [(line: Int, text: String)], unnamed: Int) {
        var speeches: [(line: Int, text: String)] = []
        var unnamed = 0
        for (number, raw) in cue {
            var line = raw
            var voice: String?
            if line.hasPrefix("<v"), let close = line.firstIndex(of: ">") {
                let tag = line[line.index(line.startIndex, offsetBy: 2)..<close].trimmingCharacters(in: .whitespaces)
                // `<v.loud Mara>`: classes before the name.
                let name = tag.hasPrefix(".") ? String(tag.drop { $0 != " " }).trimmingCharacters(in: .whitespaces) : tag
                if !name.isEmpty { voice = name }
                line = String(line[line.index(after: close)...])
            }
            line = plain(line)
            guard !line.isEmpty else { continue }
            if let voice {
                speeches.append((number, "[\(voice)] \(line)"))
            } else if line.hasPrefix("- ") || line.hasPrefix("-\u{00A0}") {
                let said = String(line.dropFirst(2)), speech = labelled(said)
                if !speeches.isEmpty && speech == said { unnamed += 1 }
                speeches.append((number, speech))
            } else if speeches.isEmpty || ScriptImport.colonTurn(line).flatMap({ ScriptImport.fromCapitals($0.0) }) != nil {
                speeches.append((number, labelled(line)))
            } else {
                speeches[speeches.count - 1].text += " " + line
            }
        }
        return (speeches, unnamed)
    }

    /// A speech that starts with its speaker (`MARA: ...`, the subtitles' way of saying who speaks) as a
    /// turn, the name in title case when it is in capitals.
    private static func labelled(_ speech: String) -> String {
        guard let (name, said) = ScriptImport.colonTurn(speech) else { return speech }
        return "[\(ScriptImport.fromCapitals(name) ?? name)] \(said)"
    }

    /// The text without markup: `<i>`, `</v>`, `{\an8}`.
    private static func plain(_ line: String) -> String {
        var out = ""
        var depth: Character?
        for c in line {
            if let open = depth {
                if (open == "<" && c == ">") || (open == "{" && c == "}") { depth = nil }
                continue
            }
            if c == "<" || c == "{" { depth = c; continue }
            out.append(c)
        }
        return out.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
