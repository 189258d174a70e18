import Foundation
import ModelHub
import Studio
import TestSupport
import Testing

/// The studio's download of missing checkpoints: offered only where a download would be found, and what it
/// fetches is then where every command looks.
@Suite struct CheckpointFetchTests {
    @Test func offeredOnlyWhereTheDownloadWouldBeFound() throws {
        let home = try Fixtures.temporaryFolder("higgs-fetch")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["HOME": home.path]
        func fetch(model: String? = nil, _ extra: [String: String] = [:]) -> [String]? {
            let env = environment.merging(extra) { $1 }
            return CheckpointFetch(for: EngineLocation(modelFlag: model, audioTokenizerFlag: nil, environment: env), environment: env)?.repositories
        }
        #expect(fetch() == [EngineLocation.modelRepository, EngineLocation.tokenizerRepository])
        // A folder the writer named is theirs to fill: a copy in the cache would never be used.
        #expect(fetch(model: home.appendingPathComponent("mine").path) == nil)
        #expect(fetch(["HIGGS_AUDIO_TOKENIZER": home.appendingPathComponent("mine").path]) == nil)
        #expect(fetch(["HF_HUB_OFFLINE": "1"]) == nil)
        #expect(fetch(["HF_HUB_OFFLINE": "0"]) != nil)

        // The question gives the sizes, and what a stopped download left in the cache.
        let offer = try #require(CheckpointFetch(for: EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: environment),
                                                 environment: environment))
        #expect(offer.summary == "bosonai/higgs-audio-v2-generation-3B-base (11.5 GB) and bosonai/higgs-audio-v2-tokenizer (0.8 GB)")
        let blobs = HubCache(environment: environment).repositoryFolder(EngineLocation.modelRepository).appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try Data(count: 3_000_000).write(to: blobs.appendingPathComponent(String(repeating: "ab", count: 32) + ".incomplete"))
        #expect(offer.summary.hasPrefix("bosonai/higgs-audio-v2-generation-3B-base (11.5 GB, 3 MB of it here already) and "))
        try FileManager.default.removeItem(at: home.appendingPathComponent(".cache"))

        // Only what is missing: here the model is in the default folder.
        let models = home.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: try CheckpointFixtures.modelFolder(in: home),
                                         to: models.appendingPathComponent("higgs-audio-v2-generation-3B-base"))
        #expect(fetch() == [EngineLocation.tokenizerRepository])
        // A model flag naming a folder that has it changes nothing about the tokenizer.
        #expect(fetch(model: models.appendingPathComponent("higgs-audio-v2-generation-3B-base").path) == [EngineLocation.tokenizerRepository])
        try FileManager.default.moveItem(at: try CheckpointFixtures.audioTokenizer(in: home),
                                         to: models.appendingPathComponent("higgs-audio-v2-tokenizer"))
        #expect(fetch() == nil)
    }

    @Test func fetchesBothCheckpointsWhereEveryCommandFindsThem() throws {
        let home = try Fixtures.temporaryFolder("higgs-fetch")
        defer { try? FileManager.default.removeItem(at: home) }
        let hub = try LoopbackHub(checkpointsIn: home.appendingPathComponent("published"), model: EngineLocation.modelRepository,
                                  tokenizer: EngineLocation.tokenizerRepository)
        defer { hub.stop() }
        let environment = ["HOME": home.appendingPathComponent("user").path, "HF_ENDPOINT": hub.endpoint]
        let before = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: environment)
        let fetch = try #require(CheckpointFetch(for: before, environment: environment))
        #expect(fetch.destination.path == home.appendingPathComponent("user/.cache/huggingface/hub").path)

        let found = try fetch.run { _ in }
        #expect(found.missing.isEmpty)
        #expect(found.modelSource == .huggingFaceCache && found.audioTokenizerSource == .huggingFaceCache)
        for (repository, folder) in [(EngineLocation.modelRepository, found.model), (EngineLocation.tokenizerRepository, found.audioTokenizer)] {
            for file in hub.repositories[repository]! {
                #expect(try Data(contentsOf: folder.appendingPathComponent(file.name)) == file.data, "\(repository)/\(file.name)")
            }
        }
        // A later start (any command) finds them in the cache, and nothing is offered.
        let after = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: environment)
        #expect(after.model.path == found.model.path && after.audioTokenizer.path == found.audioTokenizer.path)
        #expect(after.unavailableReason == nil)
        #expect(CheckpointFetch(for: after, environment: environment) == nil)
    }

    @Test func describesTheDownloadAsItGoes() {
        let repository = EngineLocation.tokenizerRepository
        #expect(CheckpointFetch.describe(Download.Progress(done: 0, total: 0, files: 0, filesDone: 0, seconds: 0.1), of: repository)
            == "downloading \(repository): asking the hub for its files")
        #expect(CheckpointFetch.describe(Download.Progress(done: 210_000_000, total: 805_000_000, files: 2, filesDone: 1, seconds: 10), of: repository)
            == "downloading \(repository): 210 MB of 805 MB (26%), 21 MB/s, 0m28s left")
    }

    /// The engine line says why a download stopped before where: the hub's address is long, the line is not.
    @Test func aStoppedDownloadSaysWhyFirst() {
        #expect(CheckpointFetch.causeFirst("https://huggingface.co/api/models/x/revision/main: Could not resolve host")
                == "Could not resolve host (https://huggingface.co/api/models/x/revision/main)")
        #expect(CheckpointFetch.causeFirst("org/model@main: access refused (401): set HF_TOKEN")
                == "access refused (401): set HF_TOKEN (org/model@main)")
        #expect(CheckpointFetch.causeFirst("the disk is full: 3 GB more needed") == "the disk is full: 3 GB more needed")
    }
}
