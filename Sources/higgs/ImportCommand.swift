import ArgumentParser
import Foundation
import Studio

/// `higgs import`: a script written elsewhere (a transcript of `Name: text` lines, a screenplay in
/// Fountain, plain text) as a new project, its speakers cast with automatic voices.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make a project (*.higgs) of a script written elsewhere: Name: text lines, a Fountain screenplay, subtitles (.srt, .vtt), or plain text.",
        discussion: """
            `Name: text` lines and screenplay dialogue (a character cue in capitals, then the lines spoken) become \
            `[Name] text` turns and every name joins the cast with an automatic voice. A screenplay's action is \
            read by a Narrator; its scene headings, sections and [[notes]] become `#` notes (never spoken); its \
            parentheticals, transitions and /* boneyard */ are dropped. Subtitles become their cues' speeches, \
            each after a `# at:` note of its time. Other lines (plain text, a transcript's lines without a name) \
            are kept as written. Nothing is overwritten: the project must not exist yet.
            """
    )

    @Argument(help: "The script: UTF-8 text, or UTF-16 with a byte-order mark.")
    var script: String

    @Option(name: .shortAndLong, help: "The project to write (default: the script's name with .higgs).")
    var out: String?

    func run() throws {
        let source = URL(fileURLWithPath: script)
        let target = URL(fileURLWithPath: out ?? source.deletingPathExtension().appendingPathExtension("higgs").path)
        do {
            guard target.pathExtension == "higgs" else { throw StudioError("\(target.path): a project's name ends in .higgs") }
            guard !FileManager.default.fileExists(atPath: target.path) else {
                throw StudioError("\(target.path): already exists (choose another with --out)")
            }
            let data = try InputFile.read(source.path)
            if let kind = Self.document(of: data) { throw StudioError("\(source.path): \(kind)") }
            guard let text = Self.text(of: data) else {
                throw StudioError("\(source.path): not UTF-8 text (nor UTF-16 with a byte-order mark); \(conversion(of: data))")
            }
            guard text.contains(where: { !$0.isWhitespace }) else { throw StudioError("\(source.path): has no text to import") }
            let imported = ScriptImport.read(text)
            let project = imported.project
            try ProjectFile.save(project, to: target)
            for remark in imported.remarks {
                Console.error("higgs: \(source.path):\(remark.line): \(remark.message)\n")
            }
            // Lines that say something: notes (headings, cues) are not counted.
            let turns = project.script.filter { !ScriptLine($0).saysNothing }.count
            let cast = project.cast.isEmpty ? "no speakers found" : "cast: " + project.cast.map(\.name).joined(separator: ", ")
            var placed = ""
            if let cues = imported.cues, cues.count > 0 {
                placed = cues.placed == cues.count ? ", placed at their \(cues.count) subtitle cues (fit-cues: 10)"
                    : ", placed at \(cues.placed) of their \(cues.count) subtitle cues (fit-cues: 10; the rest said above)"
            }
            // A book's chapter headings become chapters (a file each in the export).
            let chapters = project.script.filter { ScriptLine($0).chapterTitle != nil }.count
            if chapters > 0 { placed += " in \(counted(chapters, "chapter"))" }
            Console.error("wrote \(target.path): \(counted(turns, "line"))\(placed); \(cast) (automatic voices; "
                + "`higgs studio \(Self.quoted(Self.shownFromHere(target)))` to choose them)\n")
        } catch {
            Console.error("higgs: \(error)\n")
            throw ExitCode(1)
        }
    }

    /// The text of a script in UTF-8, or in UTF-16 with a byte-order mark (Windows Notepad's "Unicode"); a
    /// mark is not part of the text. Nil for any other bytes, and for zero bytes, which no text has (they
    /// are UTF-16's without its mark, read as UTF-8).
    static func text(of data: Data) -> String? {
        let mark = [UInt8](data.prefix(3))
        if mark.starts(with: [0xFF, 0xFE]) { return String(data: data.dropFirst(2), encoding: .utf16LittleEndian) }
        if mark.starts(with: [0xFE, 0xFF]) { return String(data: data.dropFirst(2), encoding: .utf16BigEndian) }
        guard !data.contains(0) else { return nil }
        return String(data: mark == [0xEF, 0xBB, 0xBF] ? data.dropFirst(3) : data, encoding: .utf8)
    }

    /// What a file that is no script's text most likely is, with what to do instead; nil when it may be text
    /// (in UTF-8, or in an encoding `conversion` names). A document from a word processor or a PDF is the
    /// usual mistake: its bytes would import as noise, or be taken for UTF-16.
    static func document(of data: Data) -> String? {
        let head = [UInt8](data.prefix(8))
        let saveAsText = "save the script as plain text (.txt) from the program that wrote it, and import that"
        if head.starts(with: Array("%PDF".utf8)) { return "a PDF document, not text: copy its text into a plain-text file and import that" }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "a ZIP archive (as .docx and .odt documents are), not text: \(saveAsText)" }
        if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) { return "a Word 97-2003 (.doc) document, not text: \(saveAsText)" }
        if head.starts(with: Array("{\\rtf".utf8)) { return "an RTF document, its text in formatting codes: \(saveAsText)" }
        if head.starts(with: Array("RIFF".utf8)) || head.starts(with: Array("ID3".utf8)) || head.starts(with: [0xFF, 0xFB]) {
            return "audio, not a script (a voice clip goes in with `higgs voices add`)"
        }
        guard data.contains(0), !looksLikeUTF16(data) else { return nil }
        return "binary data, not text (a script to import is plain text: UTF-8, or UTF-16 with a byte-order mark)"
    }

    /// UTF-16 text without its mark has its zero bytes at every other place (the high half of Latin letters);
    /// zeros anywhere else are binary data.
    static func looksLikeUTF16(_ data: Data) -> Bool {
        let sample = [UInt8](data.prefix(4096))
        var zeros = [0, 0]
        for (i, byte) in sample.enumerated() where byte == 0 { zeros[i % 2] += 1 }
        let (more, fewer) = (max(zeros[0], zeros[1]), min(zeros[0], zeros[1]))
        return more >= sample.count / 8 && fewer * 20 <= more
    }

    /// How to make UTF-8 of a script that is not, from the encoding it most likely is: UTF-16 when it has
    /// zero bytes (every other byte of Latin letters), else the Western 8-bit one (Latin-1 as Windows writes it).
    func conversion(of data: Data) -> String {
        let utf16 = data.contains(0)
        let from = !utf16 ? "WINDOWS-1252" : data.first == 0 ? "UTF-16BE" : "UTF-16LE"
        let name = script as NSString
        let converted = name.deletingPathExtension + "-utf8" + (name.pathExtension.isEmpty ? "" : "." + name.pathExtension)
        return "if it is \(utf16 ? "UTF-16" : "Latin-1 or Windows-1252"), "
            + "`iconv -f \(from) -t UTF-8 \(Self.quoted(script)) > \(Self.quoted(converted))` converts it"
    }

    /// The path of `file` as typed from the current folder (from `/` when outside it), so that the command it is
    /// given in can be pasted: `./` before a name that would read as an option.
    static func shownFromHere(_ file: URL) -> String {
        let here = FileManager.default.currentDirectoryPath
        let path = file.standardizedFileURL.path
        let shown = path.hasPrefix(here + "/") ? String(path.dropFirst(here.count + 1)) : path
        return shown.hasPrefix("-") ? "./" + shown : shown
    }

    /// A path as a shell reads it back.
    static func quoted(_ path: String) -> String {
        let plain = path.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/+".contains($0)) }
        return plain ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
