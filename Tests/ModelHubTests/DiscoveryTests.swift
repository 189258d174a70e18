import Foundation
import ModelHub
import Studio
import TestSupport
import Testing

@Suite struct DiscoveryTests {
    @Test func cacheRootFollowsTheHubsVariables() {
        #expect(HubCache(environment: ["HOME": "/h"]).root.path == "/h/.cache/huggingface/hub")
        #expect(HubCache(environment: ["HOME": "/h", "XDG_CACHE_HOME": "/x"]).root.path == "/x/huggingface/hub")
        #expect(HubCache(environment: ["HOME": "/h", "HF_HOME": "~/hf", "XDG_CACHE_HOME": "/x"]).root.path == "/h/hf/hub")
        #expect(HubCache(environment: ["HOME": "/h", "HF_HOME": "/hf", "HF_HUB_CACHE": "/c"]).root.path == "/c")
        #expect(HubCache(root: URL(fileURLWithPath: "/c")).repositoryFolder("bosonai/higgs-audio-v2-tokenizer").path
            == "/c/models--bosonai--higgs-audio-v2-tokenizer")
    }

    /// A cache laid out as huggingface_hub writes it: refs/main names the snapshot.
    static func makeSnapshot(in root: URL, repository: String, commit: String, files: [String]) throws -> URL {
        let cache = HubCache(root: root)
        let repo = cache.repositoryFolder(repository)
        let snapshot = repo.appendingPathComponent("snapshots/\(commit)")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        try "\(commit)".write(to: repo.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        for (i, name) in files.enumerated() {
            let blob = repo.appendingPathComponent("blobs/blob\(i)")
            try Data("content \(name)".utf8).write(to: blob)
            try FileManager.default.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path,
                                                       withDestinationPath: "../../blobs/blob\(i)")
        }
        return snapshot
    }

    @Test func snapshotsResolveThroughRefs() throws {
        let root = try Fixtures.temporaryFolder("higgs-hub")
        defer { try? FileManager.default.removeItem(at: root) }
        let commit = String(repeating: "ab", count: 20)
        let made = try Self.makeSnapshot(in: root, repository: "org/model", commit: commit, files: ["config.json"])
        let cache = HubCache(root: root)
        #expect(cache.commit("org/model") == commit)
        #expect(cache.snapshot("org/model")?.path == made.path)
        #expect(cache.snapshot("org/model", revision: commit)?.path == made.path)
        #expect(cache.snapshot("org/model", revision: "v2") == nil)
        #expect(cache.snapshot("org/other") == nil)
    }

    @Test func configFileIsReadAndBadOnesNamed() throws {
        let home = try Fixtures.temporaryFolder("higgs-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ["HOME": home.path]
        #expect(try StudioConfig(environment: env).model == nil)
        let file = StudioConfig.file(environment: env)
        #expect(file.path == home.path + "/.config/higgs-studio/config.yaml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "model: ~/m\naudio_tokenizer: /t\ntheme: dark\n".write(to: file, atomically: true, encoding: .utf8)
        let config = try StudioConfig(environment: env)
        #expect(config.model == "~/m" && config.audioTokenizer == "/t")
        try "model: [unclosed".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ModelHubError.self) { try StudioConfig(environment: env) }
        try "- a list\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ModelHubError("\(file.path): expected keys such as `model:` and `audio_tokenizer:`")) {
            try StudioConfig(environment: env)
        }
        // The studio says so, and goes on without it.
        let location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
        #expect(location.configProblem?.contains(file.path) == true && location.modelSource == .defaultFolder)
    }

    /// The engine's and the studio's settings: read as written, stood in for by flags, misspelt keys kept for
    /// `higgs doctor`, values that do not read named with the file and the key.
    @Test func configFileSetsTheEngineUnlessAFlagDoes() throws {
        let home = try Fixtures.temporaryFolder("higgs-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ["HOME": home.path]
        let file = StudioConfig.file(environment: env)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try """
            precision: q8
            threads: 3
            audio_device: null
            record_device: hw:1,0
            prefill_ahead: off
            precison: q4
            model:
            """.write(to: file, atomically: true, encoding: .utf8)
        let config = try StudioConfig(environment: env)
        #expect(config.precision == "q8" && config.threads == 3 && config.prefillAhead == false)
        #expect(config.audioDevice == "null" && config.recordDevice == "hw:1,0" && config.model == nil)
        #expect(config.unknownKeys == ["precison"])

        var location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
        #expect(location.precision == "q8" && location.threads == 3 && location.configProblem == nil)
        location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, precision: "bf16", threads: 1, environment: env)
        #expect(location.precision == "bf16" && location.threads == 1)

        for (line, problem) in [("precision: q5", "`precision:` must be bf16, q8 or q4, not 'q5'"),
                                ("threads: 0", "`threads:` must be a number of threads, 1 or more, not '0'"),
                                ("threads: two", "`threads:` must be a number of threads, 1 or more, not 'two'"),
                                ("prefill_ahead: maybe", "`prefill_ahead:` must be on or off, not 'maybe'"),
                                ("audio_device: [a, b]", "`audio_device:` expects a value, not a list or a map")] {
            try (line + "\n").write(to: file, atomically: true, encoding: .utf8)
            #expect(throws: ModelHubError("\(file.path): \(problem)")) { try StudioConfig(environment: env) }
            // The commands go on without the file, and say why.
            location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
            #expect(location.configProblem == "\(file.path): \(problem)" && location.precision == nil)
        }
        // A file that is not text, and a folder in its place, are named too.
        try Data([0xff, 0xfe, 0x00, 0x9c]).write(to: file)
        #expect(throws: ModelHubError("\(file.path): not UTF-8 text")) { try StudioConfig(environment: env) }
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
        #expect(throws: ModelHubError("\(file.path): a folder, where the config file was expected")) { try StudioConfig(environment: env) }
        try FileManager.default.removeItem(at: file)
        for (text, on) in [("on", true), ("yes", true), ("true", true), ("Off", false), ("no", false), ("false", false)] {
            try "prefill_ahead: \(text)\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try StudioConfig(environment: env).prefillAhead == on)
        }
    }

    /// Flags, then variables, then the config file, then the Hugging Face cache, then ~/models.
    @Test func locationsAreTriedInOrder() throws {
        let home = try Fixtures.temporaryFolder("higgs-home")
        defer { try? FileManager.default.removeItem(at: home) }
        var env = ["HOME": home.path]
        var location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
        #expect(location.modelSource == .defaultFolder && location.model.path == home.path + "/models/higgs-audio-v2-generation-3B-base")
        #expect(location.modelPlaces.map(\.source) == [.flag, .environment, .configFile, .huggingFaceCache, .defaultFolder])

        let snapshot = try Self.makeSnapshot(in: home.appendingPathComponent(".cache/huggingface/hub"),
                                             repository: EngineLocation.tokenizerRepository,
                                             commit: String(repeating: "0f", count: 20), files: ["config.json", "model.pth"])
        location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
        #expect(location.audioTokenizerSource == .huggingFaceCache && location.audioTokenizer.path == snapshot.path)
        #expect(location.missing.count == 1 && location.missing[0].hasPrefix("the model in ~/models/"))

        let file = StudioConfig.file(environment: env)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "model: ~/configured\naudio_tokenizer: ~/configured-tokenizer\n".write(to: file, atomically: true, encoding: .utf8)
        location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
        #expect(location.modelSource == .configFile && location.model.path == home.path + "/configured")
        #expect(location.audioTokenizerSource == .configFile)

        env["HIGGS_MODEL"] = "/from/env"
        location = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
        #expect(location.modelSource == .environment && location.model.path == "/from/env")
        location = EngineLocation(modelFlag: "/from/flag", audioTokenizerFlag: nil, environment: env)
        #expect(location.modelSource == .flag && location.model.path == "/from/flag")
        #expect(location.unavailableReason?.contains("higgs doctor") == true)
    }
}
