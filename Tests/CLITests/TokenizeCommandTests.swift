import Foundation
import TestSupport
import Testing
import TextTokenizer

/// `higgs tokenize` finds the model as the other commands do, and its errors read as theirs.
@Suite struct TokenizeCommandTests {
    static let text = "Good evening, night owls."

    /// The ids of `text` from the model's own tokenizer.json, as the command prints them.
    static func ids(_ model: URL) throws -> String {
        "[" + (try BPETokenizer(modelFolder: model)).encode(text, addBOS: false).map(String.init).joined(separator: ",") + "]\n"
    }

    /// Without `--model`: `$HIGGS_MODEL`, then the config file's `model:`, as `higgs generate` and the studio look.
    @Test func theModelIsFoundAsTheOtherCommandsFindIt() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let expected = try Self.ids(model)
        #expect(expected.count > 4)

        let nowhere = try CLI.run(["tokenize", "--text", Self.text], in: folder)
        #expect(nowhere.status == 1 && nowhere.stdout.isEmpty)
        #expect(nowhere.stderr == "higgs: no model: looked for the model in ~/models/higgs-audio-v2-generation-3B-base (the default; "
                + "set --model or $HIGGS_MODEL). `higgs download` fetches it; `higgs doctor` shows every place looked at\n", "\(nowhere.stderr)")

        let variable = try CLI.run(["tokenize", "--text", Self.text], in: folder, environment: ["HIGGS_MODEL": model.path])
        #expect(variable.status == 0 && variable.stdout == expected, "\(variable.stderr)")

        let config = folder.appendingPathComponent(".config/higgs-studio/config.yaml")  // HOME is the folder
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "model: ~/model\n".write(to: config, atomically: true, encoding: .utf8)
        let configured = try CLI.run(["tokenize", "--text", Self.text], in: folder)
        #expect(configured.status == 0 && configured.stdout == expected, "\(configured.stderr)")

        // The flag comes first, and a folder it names that is not there is said as such.
        let flagged = try CLI.run(["tokenize", "--model", "missing", "--text", Self.text], in: folder, environment: ["HIGGS_MODEL": model.path])
        #expect(flagged.status == 1 && flagged.stderr == "higgs: \(folder.path)/missing: no such model folder\n", "\(flagged.stderr)")
    }

    /// A file it cannot use is one line naming it, worded as the other commands word theirs (`higgs: `).
    @Test func errorsNameTheFileAsTheOtherCommandsDo() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let noText = try CLI.run(["tokenize", "--model", model.path, "--file", "none.txt"], in: folder)
        #expect(noText.status == 1 && noText.stderr == "higgs: none.txt: no such file\n", "\(noText.stderr)")
        let noTokenizer = try CLI.run(["tokenize", "--model", folder.path, "--text", Self.text], in: folder)
        #expect(noTokenizer.status == 1 && noTokenizer.stderr == "higgs: \(folder.path)/tokenizer.json: no such file\n", "\(noTokenizer.stderr)")
        // Flags that do not go together are the argument parser's to refuse, with the usage.
        let both = try CLI.run(["tokenize", "--model", model.path, "--text", "a", "--file", "b"], in: folder)
        #expect(both.status == 64 && both.stderr.hasPrefix("Error: give exactly one of --text and --file\n"), "\(both.stderr)")
    }
}
