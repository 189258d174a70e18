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
