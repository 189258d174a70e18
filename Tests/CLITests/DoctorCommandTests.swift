import Foundation
import Kernels
import TestSupport
import Testing
import Transformer

/// `higgs doctor` finds checkpoints in the Hugging Face cache and says what is there.
@Suite struct DoctorCommandTests {
    @Test func findsTheCacheAndChecksTheFolders() throws {
        let home = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let nothing = try CLI.run(["doctor"], in: home)
        #expect(nothing.status == 1)
        #expect(nothing.stdout.contains("→ the default folder: ~/models/higgs-audio-v2-generation-3B-base (no such folder)"))
        #expect(nothing.stdout.contains("Get them with `higgs download` (or `huggingface-cli download bosonai/higgs-audio-v2-generation-3B-base`"))

        // Both checkpoints in the cache layout huggingface_hub writes (refs/main -> snapshots/COMMIT).
        let hub = home.appendingPathComponent(".cache/huggingface/hub")
        for (repository, source) in [("bosonai--higgs-audio-v2-generation-3B-base", try CheckpointFixtures.modelFolder(in: home)),
                                     ("bosonai--higgs-audio-v2-tokenizer", try CheckpointFixtures.audioTokenizer(in: home))] {
            let repo = hub.appendingPathComponent("models--" + repository)
            let commit = String(repeating: "5e", count: 20)
            try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: repo.appendingPathComponent("snapshots"), withIntermediateDirectories: true)
            try commit.write(to: repo.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(at: repo.appendingPathComponent("snapshots/\(commit)"), withDestinationURL: source)
        }
        let found = try CLI.run(["doctor"], in: home)
        #expect(found.status == 0, "\(found.stdout)")
        #expect(found.stdout.components(separatedBy: "→ the Hugging Face cache").count == 3)
        #expect(found.stdout.contains("every tensor the config implies is there"))
        #expect(found.stdout.contains("model-00002-of-00003.safetensors: 788 KB, 1 tensor (1 BF16)"), "\(found.stdout)")
        #expect(found.stdout.contains("8 codebooks of 1024, 24000 Hz"))

        // A broken model folder is named with its problem.
        let broken = home.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "{}".write(to: broken.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["doctor", "--model", broken.path], in: home)
        #expect(bad.status == 1 && bad.stdout.contains("not usable: ") && bad.stdout.contains("broken/config.json"))
        let file = broken.appendingPathComponent("config.json")
        let named = try CLI.run(["doctor", "--model", file.path], in: home)
        #expect(named.status == 1 && named.stdout.contains("not usable: ~/broken/config.json is a file; a checkpoint is a folder of files"),
                "\(named.stdout)")

        // The config file: what it sets, the keys it does not read, and a value that does not read.
        let config = home.appendingPathComponent(".config/higgs-studio/config.yaml")
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "precision: q8\nprefill_ahead: off\nprecison: q4\n".write(to: config, atomically: true, encoding: .utf8)
        let configured = try CLI.run(["doctor"], in: home)
        #expect(configured.stdout.hasPrefix("config file ~/.config/higgs-studio/config.yaml: precision: q8, prefill_ahead: off\n"
                                            + "  not read (unknown keys): precison; it reads model, "), "\(configured.stdout)")
        try "threads: none\n".write(to: config, atomically: true, encoding: .utf8)
        let wrong = try CLI.run(["doctor"], in: home)
        #expect(wrong.stdout.hasPrefix("config file: \(config.path): `threads:` must be a number of threads, 1 or more, not 'none' (ignored)\n"),
                "\(wrong.stdout)")
    }

    /// The voices and scenes folders in use, and why those: the source tree the binary was built in when nothing
    /// else names one, the current folder's, a flag's (one that is not there said so).
    @Test func showsTheVoicesAndScenesFoldersAndWhy() throws {
        let home = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let tree = Fixtures.testsFolder.deletingLastPathComponent()
        let built = try CLI.run(["doctor"], in: home)
        #expect(built.stdout.contains("\nVoices: \(tree.path)/Voices (the source tree higgs was built in; there is no Voices/ here and "
                                      + "the config file names none)\nScenes: \(tree.path)/Scenes (the source tree higgs was built in; "
                                      + "there is no Scenes/ here and the config file names none)\n"), "\(built.stdout)")

        try FileManager.default.createDirectory(at: home.appendingPathComponent("Voices"), withIntermediateDirectories: true)
        let here = try CLI.run(["doctor", "--scenes", "nowhere"], in: home)
        #expect(here.stdout.contains("\nVoices: ~/Voices (in the current folder)\nScenes: \(home.path)/nowhere: no such scenes folder\n"),
                "\(here.stdout)")
    }

    @Test func saysItsVersion() throws {
        let home = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try CLI.run(["--version"], in: home)
        #expect(result.status == 0 && result.stdout.hasPrefix("higgs 0.") && result.stdout.contains("higgs-audio-v2"), "\(result.stdout)")
    }

    /// The quantized weights kept for later starts are listed with their checkpoint and size, and those no
    /// start would use say why: the checkpoint changed, its folder is gone, or the file is of an older format.
    @Test func listsTheQuantizedWeights() throws {
        let home = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let standard = ["HIGGS_CACHE": "", "XDG_CACHE_HOME": ""]
        let empty = try CLI.run(["doctor"], in: home, environment: standard)
        #expect(empty.stdout.contains("Quantized weights: ~/.cache/higgs-studio/weights (none yet)\n"), "\(empty.stdout)")

        let folder = home.appendingPathComponent(".cache/higgs-studio/weights")
        let cache = QuantizedWeightCache(folder: folder)
        let gone = try CheckpointFixtures.modelFolder(in: home.appendingPathComponent("old"))
        _ = try Model.load(folder: gone, precision: .q4, cache: cache)
        try FileManager.default.removeItem(at: home.appendingPathComponent("old"))
        let model = try CheckpointFixtures.modelFolder(in: home)
        _ = try Model.load(folder: model, precision: .q8, cache: cache)
        // The checkpoint changes (its config.json, a link to the fixture, becomes a file of its own), then q4 is made.
        let config = model.appendingPathComponent("config.json")
        let text = try Data(contentsOf: config)
        try FileManager.default.removeItem(at: config)
        try text.write(to: config)
        _ = try Model.load(folder: model, precision: .q4, cache: cache)
        // A file of the cache's first format: the magic, version 1, the header's JSON.
        let json = Data(#"{"precision":"q4","source":"/models/first|config.json:1625:0"}"#.utf8)
        var first = Data("HIGGSQNT".utf8)
        for word in [UInt32(1), UInt32(json.count)] { withUnsafeBytes(of: word.littleEndian) { first.append(contentsOf: $0) } }
        try (first + json).write(to: folder.appendingPathComponent("0000000000000001-q4.weights"))
        try Data("not ours".utf8).write(to: folder.appendingPathComponent("notes.txt"))

        let listed = try CLI.run(["doctor"], in: home, environment: standard)
        let lines = listed.stdout.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("Quantized weights: ~/.cache/higgs-studio/weights, ") }, "\(listed.stdout)")
        let files = lines[(start + 1)...].prefix { $0.hasPrefix("    ") }
        #expect(files.count == 4, "\(listed.stdout)")
        func line(_ prefix: String) -> String? { files.first { $0.hasPrefix(prefix) } }
        #expect(line("    q4 of ~/model: ").map { !$0.contains(", ") } == true, "\(files)")
        #expect(line("    q8 of ~/model: ")?.hasSuffix(", for files since changed (the next start at q8 replaces it)") == true)
        #expect(line("    q4 of ~/old/model: ")?.contains(", its folder is not there (remove ") == true)
        #expect(line("    q4 of /models/first: ")?.hasSuffix(", an older format no start reads (remove 0000000000000001-q4.weights)") == true)
    }

    /// `HIGGS_KERNELS` caps the kernels' instruction set for the whole process; an unknown name is said
    /// in one line and the machine's own is used.
    @Test func kernelsFollowHiggsKernels() throws {
        let home = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let own = try CLI.run(["doctor"], in: home, environment: ["HIGGS_KERNELS": ""])
        let machine = try #require(own.stdout.split(separator: "\n").first { $0.hasPrefix("This machine: ") })
        let capped = try CLI.run(["doctor"], in: home, environment: ["HIGGS_KERNELS": "portable"])
        #expect(capped.stdout.contains(", kernels portable\n"), "\(capped.stdout)")
        #expect(capped.stderr.isEmpty)
        let unknown = try CLI.run(["doctor"], in: home, environment: ["HIGGS_KERNELS": "avx9"])
        #expect(unknown.stderr.contains("HIGGS_KERNELS='avx9' is not one of portable, avx2, avx2-vnni, avx512, avx512-vnni, amx;"), "\(unknown.stderr)")
        #expect(unknown.stdout.contains(machine + "\n"))
    }
}

/// `higgs` runs OpenBLAS on kernels as wide as the machine has, restarting itself under `OPENBLAS_CORETYPE`
/// where OpenBLAS chose narrower ones when it loaded; a user's own `OPENBLAS_CORETYPE` stands.
@Suite struct OpenBLASCoreCommandTests {
    static func core(_ result: CLI.Result) -> String? {
        guard let line = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("OpenBLAS: its ") }) else { return nil }
        return line.dropFirst("OpenBLAS: its ".count).split(separator: " ").first.map(String.init)
    }

    @Test func runsOnTheWidestKernelsUnlessTheUserChose() throws {
        let home = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let chosen = try CLI.run(["doctor"], in: home, environment: ["OPENBLAS_CORETYPE": ""])
        let core = try #require(Self.core(chosen), "\(chosen.stdout)")
        #expect(BLAS.widerCore(than: core, machineLevel: BLAS.machineLevel) == nil, "OpenBLAS runs its \(core) kernels")
        #if arch(x86_64)
        let own = try CLI.run(["doctor"], in: home, environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(own.stdout.contains("OpenBLAS: its Prescott kernels (OPENBLAS_CORETYPE=Prescott)"), "\(own.stdout)")
        #endif
    }
}
