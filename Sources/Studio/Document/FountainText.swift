import Foundation

/// A screenplay's lines without Fountain's text for its writer alone, for `ScriptImport`: boneyard
/// (`/* ... */`, text put aside, across lines or inside one) is left out, and notes (`[[...]]`, across lines
/// up to a blank one) come out of the lines they stand in, each a note of the script (`# ...`) on a line
/// of its own after them. A line that held nothing else is gone, so the blank lines that shape the
/// screenplay (a cue after one, a speech up to the next) stay as they were.
enum FountainText {
    struct Read {
        /// The lines, each with its line in the file (from 1).
        var lines: [(line: Int, text: String)] = []
        /// The line of a `/*` that no `*/` closes: all after it is boneyard, as Fountain reads it.
        var openBoneyard: Int?
    }

    static func plain(_ lines: [String], numbers: [Int]) -> Read {
        var read = Read()
        var boneyard: Int?            // the line its `/*` opened on
        var note: String?             // a note open across lines: its text so far
        for (i, line) in lines.enumerated() {
            if line.isEmpty {
                if boneyard == nil && note == nil { read.lines.append((numbers[i], "")) }
                continue
            }
            var kept = ""
            var notes: [String] = []
            var rest = Substring(line)
            while !rest.isEmpty {
                if boneyard != nil {
                    guard let close = rest.range(of: "*/") else { break }
                    boneyard = nil
                    rest = rest[close.upperBound...]
                } else if let open = note {
                    guard let close = rest.range(of: "]]") else {
                        note = open + " " + rest
                        break
                    }
                    notes.append(open + " " + rest[..<close.lowerBound])
                    note = nil
                    rest = rest[close.upperBound...]
                } else {
                    let bone = rest.range(of: "/*"), mark = rest.range(of: "[[")
                    if let bone, mark.map({ bone.lowerBound < $0.lowerBound }) ?? true {
                        kept += rest[..<bone.lowerBound]
                        boneyard = numbers[i]
                        rest = rest[bone.upperBound...]
                    } else if let mark {
                        kept += rest[..<mark.lowerBound]
                        rest = rest[mark.upperBound...]
                        // `[[` that nothing closes before a blank line is the writer's text.
                        if closes(rest, after: i, in: lines) { note = "" } else { kept += "[[" }
                    } else {
                        kept += rest
                        break
                    }
                }
            }
            if kept != line { kept = kept.split(separator: " ").joined(separator: " ") }
            if !kept.isEmpty { read.lines.append((numbers[i], kept)) }
            for text in notes {
                let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if !words.isEmpty { read.lines.append((numbers[i], "# " + words)) }
            }
        }
        read.openBoneyard = boneyard
        return read
    }

    /// Whether a `]]` closes a note opened before `rest` (on line `i`), on that line or one after it before
    /// a blank line.
    private static func closes(_ rest: Substring, after i: Int, in lines: [String]) -> Bool {
        if rest.contains("]]") { return true }
        for line in lines.dropFirst(i + 1) {
            if line.isEmpty { return false }
            if line.contains("]]") { return true }
        }
        return false
    }
}
