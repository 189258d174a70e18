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

    @Test func unreadableScriptsAreOneLineNamingThem() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([0x41, 0xFF, 0xFE, 0x0A]).write(to: folder.appendingPathComponent("bad.txt"))
        var result = try CLI.run(["import", "bad.txt"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: \(folder.appendingPathComponent("bad.txt").path): not UTF-8 text\n")
        result = try CLI.run(["import", "missing.txt"], in: folder)
        #expect(result.status == 1 && result.stderr.contains("missing.txt: cannot read it"))
        result = try CLI.run(["import", "bad.txt", "--out", "x.txt"], in: folder)
        #expect(result.status == 1 && result.stderr.contains("x.txt: a project's name ends in .higgs"))
    }
}
