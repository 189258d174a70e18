import Foundation

/// The words of a subtitle file (SubRip `.srt` or WebVTT `.vtt`), one line per speech, for `ScriptImport`:
/// a film's or a game's subtitles are the script of its dub. Each cue's time becomes a `# at:` note before
/// its first speech (`Cue`), so that exports put the dub's lines where the picture has them; cue numbers,
/// settings and styling go; a WebVTT voice (`<v Mara>`) or a label (`MARA: ...`) becomes a `[Mara]` turn;
/// a cue of two speakers (`- Hi.` / `- Hello.`) is two lines; the blank lines between cues are not kept.
enum SubtitleText {
    /// The cue lines of `lines` when they are subtitles, else nil.
    static func speeches(_ lines: [String]) -> [String]? {
        let content = lines.filter { !$0.isEmpty }
        let isVTT = content.first?.hasPrefix("WEBVTT") == true
        let isSRT = content.count >= 2 && Int(content[0]) != nil && isTiming(content[1])
        guard isVTT || isSRT else { return nil }
        var out: [String] = []
        var cue: [String] = []
        var time: Cue?
        var inCue = false
        func flush() {
            let speeches = split(cue)
            if !speeches.isEmpty {
                if let time { out.append("# at: \(time.written)") }
                out += speeches
            }
            cue = []
        }
        for line in lines {
            if isTiming(line) {
                flush()
                time = timing(line)
                inCue = true
            } else if line.isEmpty {
                flush()
                inCue = false
            } else if inCue {
                cue.append(line)
            }
        }
        flush()
        return out
    }

    /// `00:00:01,000 --> 00:00:02,500` (and WebVTT's `00:01.000 --> ...` with settings after it).
    static func isTiming(_ line: String) -> Bool {
        guard let arrow = line.range(of: "-->") else { return false }
        let start = line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
        return !start.isEmpty && start.allSatisfy { $0.isNumber || ":,.".contains($0) } && start.contains(":")
    }

    /// The times of a timing line, without WebVTT's settings after them (`align:start`).
    private static func timing(_ line: String) -> Cue? {
        guard let arrow = line.range(of: "-->") else { return nil }
        let end = line[arrow.upperBound...].split(separator: " ").first.map(String.init) ?? ""
        return Cue(line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces) + " --> " + end)
    }

    /// A cue's lines as speeches: a voice span is a turn, `- ` starts another speaker, other lines run on.
    private static func split(_ cue: [String]) -> [String] {
        var speeches: [String] = []
        for raw in cue {
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
                speeches.append("[\(voice)] \(line)")
            } else if line.hasPrefix("- ") || line.hasPrefix("-\u{00A0}") || speeches.isEmpty {
                speeches.append(labelled(line.hasPrefix("-") ? String(line.dropFirst(2)) : line))
            } else {
                speeches[speeches.count - 1] += " " + line
            }
        }
        return speeches
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
