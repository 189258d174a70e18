import AudioIO
import Foundation
import Studio
import TestSupport
import Testing

/// What commands do with their streams and output paths when run from scripts: a message that cannot be written
/// stops nothing, a result that cannot be written is a failure, and an output path that is a link, a pipe or a
/// device is written through or refused, never replaced by a file.
@Suite struct StreamsTests {
    /// `higgs ARGS` through the shell with `redirect` (`2>/dev/full`, `>/dev/full`); its status, from the shell.
    private func status(_ arguments: String, _ redirect: String, in folder: URL) throws -> Int32? {
        let script = "\"$0\" \(arguments) \(redirect); echo \"status $?\""
        let result = try CLI.run(["-c", script, CLI.binary.path], in: folder, binary: URL(fileURLWithPath: "/bin/sh"))
        return result.stdout.split(separator: "\n").last.flatMap { $0.hasPrefix("status ") ? Int32($0.dropFirst(7)) : nil }
    }

    @Test func aMessageThatCannotBeWrittenStopsNothingAndLostOutputFails() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Ann: Hello.\nBo: Hi.\n".write(to: folder.appendingPathComponent("s.txt"), atomically: true, encoding: .utf8)
        // stderr full or closed: the project is written, and the command ends as it would have.
        #expect(try status("import s.txt", "2>/dev/full", in: folder) == 0)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.higgs").path))
        #expect(try status("render s.higgs --dry-run --voices . --scenes .", "2>&-", in: folder) == 0)
        #expect(try status("render missing.higgs", "2>/dev/full", in: folder) == 1)
        // The listing a command exists to print, lost: a failure, said on stderr.
        #expect(try status("voices list --voices .", ">/dev/null", in: folder) == 0)
        #expect(try status("voices list --voices .", ">/dev/full", in: folder) == 1)
        let result = try CLI.run(["-c", "\"$0\" voices list --voices . >/dev/full", CLI.binary.path], in: folder,
                                 binary: URL(fileURLWithPath: "/bin/sh"))
        #expect(result.stderr == "higgs: cannot write the output: No space left on device\n", "\(result.stderr)")
    }

    /// A pipe whose reader is gone (`higgs render X 2>&1 | head`): a render's messages are dropped and its work goes
    /// on to the export (explore pass 9, 1: SIGPIPE ended it at its first message, leaving its lock); a listing whose
    /// reader left ends quietly, as `| head` expects.
    @Test func aReaderGoneStopsNoWork() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] Hello there."])
        project.settings.maxNewTokens = 40
        try ProjectFile.save(project, to: folder.appendingPathComponent("p.higgs"))
        let flags = ["--model", try CheckpointFixtures.modelFolder(in: folder).path, "--audio-tokenizer",
                     try CheckpointFixtures.audioTokenizer(in: folder).path, "--precision", "bf16", "--voices", ".", "--scenes", "."]
        // The reader (`true`) is gone before the command writes its first message.
        func gone(_ arguments: String, _ redirect: String) throws -> CLI.Result {
            let script = "( sleep 0.5; \"$0\" \(arguments) \(redirect); echo $? > status ) | true"
            return try CLI.run(["-c", script, CLI.binary.path], in: folder, binary: URL(fileURLWithPath: "/bin/sh"))
        }
        let status = folder.appendingPathComponent("status")
        _ = try gone("render p.higgs " + flags.joined(separator: " "), "2>&1")
        #expect(try String(contentsOf: status, encoding: .utf8) == "0\n")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("p.export/p.wav").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".p.higgs.render").path))
        // A listing: ended as the signal would have ended it, with nothing said.
        let listing = try gone("takes p.higgs", "")
        #expect(try String(contentsOf: status, encoding: .utf8) == "141\n")
        #expect(listing.stderr.isEmpty, "\(listing.stderr)")
    }

    @Test func anOutputPathThatIsALinkIsWrittenThroughAndAPipeIsRefused() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        let flags = ["--model", model.path, "--audio-tokenizer", tokenizer.path, "--precision", "bf16", "--transcript", "[SPEAKER0] Hi.",
                     "--max-new-tokens", "20", "--seed", "1", "--quiet"]
        let takes = folder.appendingPathComponent("takes")
        try FileManager.default.createDirectory(at: takes, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: takes.appendingPathComponent("take.wav"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("out.wav").path, withDestinationPath: "takes/take.wav")
        var result = try CLI.run(["generate"] + flags + ["--out-path", "out.wav"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("out.wav").path) == "takes/take.wav")
        #expect(try WAVFile.read(takes.appendingPathComponent("take.wav")).samples.count > 0)

        #expect(mkfifo(folder.appendingPathComponent("pipe.wav").path, 0o644) == 0)
        result = try CLI.run(["generate"] + flags + ["--out-path", "pipe.wav"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: --out-path pipe.wav: a pipe or a device, not a file; give a file's path\n",
                "\(result.stderr)")
        result = try CLI.run(["generate"] + flags + ["--out-path", "x.wav", "--codes-out", "/dev/null"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: --codes-out /dev/null: a pipe or a device, not a file; give a file's path\n",
                "\(result.stderr)")
        var info = stat()
        #expect(lstat(folder.appendingPathComponent("pipe.wav").path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    }

    /// A script, a transcript or a text may come from a pipe (`/dev/stdin`, `<(...)`), as a shell pipeline gives them.
    @Test func inputsAreReadFromAPipe() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        func shell(_ script: String) throws -> CLI.Result {
            try CLI.run(["-c", script, CLI.binary.path], in: folder, binary: URL(fileURLWithPath: "/bin/sh"))
        }
        var result = try shell("printf 'Ann: Hello.\\nBo: Hi.\\n' | \"$0\" import /dev/stdin --out piped.higgs")
        #expect(result.status == 0, "\(result.stderr)")
        let project = try ProjectFile.load(folder.appendingPathComponent("piped.higgs"))
        #expect(project.cast.map(\.name) == ["Ann", "Bo"] && project.script == ["[Ann] Hello.", "[Bo] Hi."])
        result = try shell("printf 'Hello there' | \"$0\" tokenize --model \(model.path) --file /dev/stdin")
        let direct = try CLI.run(["tokenize", "--model", model.path, "--text", "Hello there"], in: folder)
        #expect(result.status == 0 && !result.stdout.isEmpty && result.stdout == direct.stdout, "\(result.stderr)")
    }

    /// A transcript that names a file not there is refused, not spoken as the words of the take.
    @Test func aMistypedTranscriptFileIsNotSpoken() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        for name in ["missing_script.txt", "scripts/one"] {
            let result = try CLI.run(["generate", "--model", model.path, "--transcript", name, "--out-path", "x.wav"], in: folder)
            #expect(result.status == 1 && result.stderr == "higgs: --transcript \(name): no such file (a transcript is a file that is there, "
                    + "or the words themselves)\n", "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.wav").path))
    }
}
