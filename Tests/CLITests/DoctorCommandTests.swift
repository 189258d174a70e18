import Foundation
import Kernels
import TestSupport
import Testing

/// `higgs doctor` finds checkpoints in the Hugging Face cache and says what is there.
@Suite struct DoctorCommandTests {
    @Test func findsTheCacheAndChecksTheFolders() throws {
        let home = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let nothing = try CLI.run(["doctor"], in: home)
        #expect(nothing.status == 1)
        #expect(nothing.stdout.contains("→ the default folder: ~/models/higgs-audio-v2-generation-3B-base (no such folder)"))
        #expect(nothing.stdout.contains("huggingface-cli download bosonai/higgs-audio-v2-generation-3B-base"))

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
        #expect(found.stdout.contains("8 codebooks of 1024, 24000 Hz"))

        // A broken model folder is named with its problem.
        let broken = home.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "{}".write(to: broken.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["doctor", "--model", broken.path], in: home)
        #expect(bad.status == 1 && bad.stdout.contains("not usable: ") && bad.stdout.contains("broken/config.json"))
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
