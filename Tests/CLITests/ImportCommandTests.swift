import AudioIO
import Foundation
import Studio
import TestSupport
import Testing

/// `higgs import`: a script to a new project, never over an existing one.
@Suite struct ImportCommandTests {
    @Test func writesTheProjectOnceAndSaysWhoIsCast() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Alice: Hi Bob!\nBob: Hello.\nAlice: Bye.\nBob: Bye.\n".write(to: folder.appendingPathComponent("chat.txt"),
                                                                      atomically: true, encoding: .utf8)
        // The studio, given the script, says how to make a project of it.
        var result = try CLI.run(["studio", "chat.txt"], in: folder)
        #expect(result.status == 1 && result.stderr.contains("chat.txt: not a project (*.higgs); `higgs import chat.txt` makes chat.higgs"))

        result = try CLI.run(["import", "chat.txt"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("chat.higgs: 4 lines; cast: Alice, Bob"))
        let project = try ProjectFile.load(folder.appendingPathComponent("chat.higgs"))
        #expect(project.script == ["[Alice] Hi Bob!", "[Bob] Hello.", "[Alice] Bye.", "[Bob] Bye."])

        // Again: the project exists, so nothing is written and the line says why.
        result = try CLI.run(["import", "chat.txt"], in: folder)
        #expect(result.status == 1 && result.stderr.contains("chat.higgs: already exists"))
        #expect(try ProjectFile.load(folder.appendingPathComponent("chat.higgs")) == project)

        result = try CLI.run(["import", "chat.txt", "--out", "other.higgs"], in: folder)
        #expect(result.status == 0 && FileManager.default.fileExists(atPath: folder.appendingPathComponent("other.higgs").path))

        // Subtitles: the lines counted without their cue notes, and said to be placed at them.
        try "1\n00:00:01,000 --> 00:00:02,000\nANN: Hi.\n\n2\n00:00:03,000 --> 00:00:04,000\nBEA: Hello.\n"
            .write(to: folder.appendingPathComponent("dub.srt"), atomically: true, encoding: .utf8)
        result = try CLI.run(["import", "dub.srt"], in: folder)
        #expect(result.stderr.contains("dub.higgs: 2 lines, placed at their 2 subtitle cues (fit-cues: 10); cast: Ann, Bea"), "\(result.stderr)")
    }

    /// Someone who speaks once is cast beside a line without a name; a `Name:` line left as text is said.
    @Test func aTranscriptCastsWhoSpeaksOnceAndSaysWhatIsLeftAsText() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Mara: Hello.\nTheo: Hi Mara.\nThis line has no name.\nMara: How are you?\n"
            .write(to: folder.appendingPathComponent("g.txt"), atomically: true, encoding: .utf8)
        var result = try CLI.run(["import", "g.txt"], in: folder)
        #expect(result.status == 0 && result.stderr.hasPrefix("wrote ") && result.stderr.contains("g.higgs: 4 lines; cast: Mara, Theo"),
                "\(result.stderr)")
        #expect(try ProjectFile.load(folder.appendingPathComponent("g.higgs")).script[1] == "[Theo] Hi Mara.")
        // A book's chapter headings: chapters, counted in what is said (explore pass 9, 6).
        try "## Chapter 1\nMara: Hello.\nTheo: Hi Mara.\nCHAPTER TWO\nMara: How are you?\nTheo: Well.\n"
            .write(to: folder.appendingPathComponent("book.md"), atomically: true, encoding: .utf8)
        let book = try CLI.run(["import", "book.md"], in: folder)
        #expect(book.status == 0 && book.stderr.contains("book.higgs: 4 lines in 2 chapters; cast: Mara, Theo"), "\(book.stderr)")

        try "Mara: Hello.\nTheo: Hi Mara.\nThis line has no name.\nMara: How are you?\n\nNote: bring milk.\n"
            .write(to: folder.appendingPathComponent("n.txt"), atomically: true, encoding: .utf8)
        result = try CLI.run(["import", "n.txt"], in: folder)
        #expect(result.stderr.hasPrefix("higgs: \(folder.appendingPathComponent("n.txt").path):6: left as text: 'Note:' is used once, "
                                        + "not next to a turn of a name used twice (write [Note] to make it a turn)\n"), "\(result.stderr)")
    }

    /// A cue that does not read: its text is kept, a line names the file, the line and what is wrong, and the
    /// summary counts only the cues placed.
    @Test func subtitleCuesThatDoNotReadAreSaidAndKept() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            1
            00:00:01,000 --> 00:00:02,000
            MARA: Hello.

            2
            00:00:02,500 --> 00:00:04,000
            THEO: Hi.

            3
            00:00:05,000 --> 00:00:04,000
            Backwards in time.

            4
            garbage --> nonsense
            Text after garbage.

            """.write(to: folder.appendingPathComponent("a.srt"), atomically: true, encoding: .utf8)
        let result = try CLI.run(["import", "a.srt"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let said = result.stderr.split(separator: "\n").map(String.init)
        let path = folder.appendingPathComponent("a.srt").path
        #expect(said.count == 3 && said[0] == "higgs: \(path):10: cue 3's end 00:00:04,000 comes before its start 00:00:05,000; "
                + "it is placed at its start, without an end", "\(result.stderr)")
        #expect(said.count == 3 && said[1] == "higgs: \(path):14: cue 4's timing 'garbage --> nonsense' does not read; "
                + "its text is kept without a time")
        #expect(result.stderr.contains("a.higgs: 4 lines, placed at 3 of their 4 subtitle cues (fit-cues: 10; the rest said above); "
                                       + "cast: Mara, Theo"))
        let project = try ProjectFile.load(folder.appendingPathComponent("a.higgs"))
        #expect(project.script.suffix(3) == ["# at: 00:00:05.000", "Backwards in time.", "Text after garbage."])
    }

    /// Windows Notepad's "Unicode" is UTF-16 with a byte-order mark (little-endian; big-endian too), and its
    /// UTF-8 may start with a mark: each reads as the text it is.
    @Test func utf16AndMarkedUTF8ScriptsImport() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = "Mara: Voilà, 🍞!\r\nTheo: Hi.\r\n"
        let files = ["le.txt": Data([0xFF, 0xFE]) + text.data(using: .utf16LittleEndian)!,
                     "be.txt": Data([0xFE, 0xFF]) + text.data(using: .utf16BigEndian)!,
                     "marked.txt": Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)]
        for (name, data) in files {
            try data.write(to: folder.appendingPathComponent(name))
            let result = try CLI.run(["import", name], in: folder)
            #expect(result.status == 0 && result.stderr.contains("2 lines; cast: Mara, Theo"), "\(name): \(result.stderr)")
            let project = try ProjectFile.load(folder.appendingPathComponent(name).deletingPathExtension().appendingPathExtension("higgs"))
            #expect(project.script == ["[Mara] Voilà, 🍞!", "[Theo] Hi."], "\(name)")
        }
    }

    /// A file with nothing in it to say is refused, and nothing is written; a line of its own is a script.
    @Test func anEmptyScriptIsRefused() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in [("empty.txt", ""), ("blank.txt", " \n\n\t\r\n")] {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            let result = try CLI.run(["import", name], in: folder)
            #expect(result.status == 1 && result.stderr == "higgs: \(folder.appendingPathComponent(name).path): has no text to import\n",
                    "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["blank.txt", "empty.txt"])
        // One line is a script.
        try "MARA: Hello.\n".write(to: folder.appendingPathComponent("one.txt"), atomically: true, encoding: .utf8)
        let result = try CLI.run(["import", "one.txt"], in: folder)
        #expect(result.status == 0 && result.stderr.contains("one.higgs: 1 line; cast: Mara"), "\(result.stderr)")
    }

    /// The help says where a screenplay's action goes, and what else is kept as written.
    @Test func theHelpSaysWhatBecomesOfEachLine() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try CLI.run(["import", "--help"], in: folder)
        let help = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("action is read by a Narrator") && help.contains("UTF-16"), "\(help)")
    }

    /// A document a word processor wrote, a PDF, audio or other binary data is named as what it is, with what to
    /// do, rather than read as text in an encoding it is not (its zero bytes taken for UTF-16's).
    @Test func filesThatAreNoScriptsTextAreNamedForWhatTheyAre() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, [UInt8], String)] = [
            ("script.pdf", Array("%PDF-1.7\n%\u{E2}\u{E3}\n1 0 obj\n".utf8) + [0, 0, 1], "a PDF document, not text"),
            ("script.docx", [0x50, 0x4B, 0x03, 0x04, 0x14, 0, 6, 0, 8, 0, 0, 0, 0x21, 0], "a ZIP archive (as .docx and .odt documents are), not text: "
                + "save the script as plain text (.txt) from the program that wrote it, and import that"),
            ("script.doc", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0], "a Word 97-2003 (.doc) document"),
            ("script.rtf", Array("{\\rtf1\\ansi Mara: Hi.}".utf8), "an RTF document"),
            ("take.wav", WAVFile.encode([0, 0.5, -0.5, 0], sampleRate: 24_000, format: .pcm16).map { $0 }, "audio, not a script"),
            ("blob.bin", (0..<600).map { UInt8(truncatingIfNeeded: $0 * 37 % 251) }, "binary data, not text"),
        ]
        for (name, bytes, said) in cases {
            try Data(bytes).write(to: folder.appendingPathComponent(name))
            let result = try CLI.run(["import", name], in: folder)
            #expect(result.status == 1 && result.stderr.hasPrefix("higgs: \(folder.appendingPathComponent(name).path): \(said)")
                    && !result.stderr.contains("UTF-16LE") && result.stderr.split(separator: "\n").count == 1, "\(name): \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).allSatisfy { !$0.hasSuffix(".higgs") })
    }

    /// The studio command the import suggests can be pasted: the project's path from the current folder, quoted
    /// where a shell would split it, and a name starting with `-` not read as an option.
    @Test func theSuggestedCommandCanBePasted() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sp ace"), withIntermediateDirectories: true)
        for name in ["sp ace/my script é.txt", "-dash.txt"] {
            try "Ann: Hello.\n".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        var result = try CLI.run(["import", "sp ace/my script é.txt"], in: folder)
        #expect(result.status == 0 && result.stderr.contains("`higgs studio 'sp ace/my script é.higgs'` to choose them"), "\(result.stderr)")
        result = try CLI.run(["import", "--", "-dash.txt"], in: folder)
        #expect(result.status == 0 && result.stderr.contains("`higgs studio ./-dash.higgs` to choose them"), "\(result.stderr)")
        result = try CLI.run(["import", "--out", "/tmp/../\(folder.path)/out.higgs", "--", "-dash.txt"], in: folder)
        #expect(result.status == 0 && result.stderr.contains("`higgs studio out.higgs` to choose them"), "\(result.stderr)")
    }

    @Test func unreadableScriptsAreOneLineNamingThem() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Latin-1 (or Windows' Western): said, with how to convert it.
        try Data([0x41, 0xFF, 0xFE, 0x0A]).write(to: folder.appendingPathComponent("bad.txt"))
        var result = try CLI.run(["import", "bad.txt"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: \(folder.appendingPathComponent("bad.txt").path): not UTF-8 text "
                + "(nor UTF-16 with a byte-order mark); if it is Latin-1 or Windows-1252, "
                + "`iconv -f WINDOWS-1252 -t UTF-8 bad.txt > bad-utf8.txt` converts it\n", "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad.higgs").path))
        // UTF-16 without its mark has zero bytes, which no text has.
        try "Mara: Hi.\n".data(using: .utf16LittleEndian)!.write(to: folder.appendingPathComponent("my script.txt"))
        result = try CLI.run(["import", "my script.txt"], in: folder)
        #expect(result.status == 1 && result.stderr.hasSuffix("my script.txt: not UTF-8 text (nor UTF-16 with a byte-order mark); "
                + "if it is UTF-16, `iconv -f UTF-16LE -t UTF-8 'my script.txt' > 'my script-utf8.txt'` converts it\n"), "\(result.stderr)")
        result = try CLI.run(["import", "missing.txt"], in: folder)
        #expect(result.status == 1 && result.stderr.hasSuffix("missing.txt: no such file\n"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("drafts"), withIntermediateDirectories: true)
        result = try CLI.run(["import", "drafts"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: \(folder.appendingPathComponent("drafts").path): a folder, not a file\n", "\(result.stderr)")
        result = try CLI.run(["import", "bad.txt", "--out", "x.txt"], in: folder)
        #expect(result.status == 1 && result.stderr.contains("x.txt: a project's name ends in .higgs"))
    }
}
