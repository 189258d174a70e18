import Foundation
import ModelHub
import TestSupport
import Testing

/// `Download` against a real HTTP server on loopback that speaks the hub's endpoints and misbehaves
/// on demand. Nothing here touches the internet.
@Suite struct DownloadTests {
    static let repository = "bosonai/tiny-model"

    static func files() -> [LoopbackHub.File] {
        var rng = SystemRandomNumberGenerator()
        let weights = Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        return [LoopbackHub.File(name: "config.json", data: Data("{\"a\": 1}\n".utf8), lfs: false),
                LoopbackHub.File(name: "model.safetensors", data: weights),
                LoopbackHub.File(name: "sub/extra.bin", data: Data(repeating: 7, count: 5000))]
    }

    struct Setup {
        let hub: LoopbackHub
        let cache: HubCache
        let folder: URL
        func download(_ environment: [String: String] = [:]) -> Download {
            Download(cache: cache, client: HubClient(environment: ["HF_ENDPOINT": hub.endpoint].merging(environment) { $1 }), parallel: 2)
        }
    }

    static func setup(_ configure: (inout [LoopbackHub.File]) -> Void = { _ in }) throws -> Setup {
        var files = Self.files()
        configure(&files)
        let folder = try Fixtures.temporaryFolder("higgs-download")
        return Setup(hub: try LoopbackHub(repository: repository, files: files), cache: HubCache(root: folder), folder: folder)
    }

    @Test func downloadsIntoTheHubCacheLayoutAndNeverTwice() throws {
        let s = try Self.setup()
        defer { s.hub.stop(); try? FileManager.default.removeItem(at: s.folder) }
        let snapshot = try s.download().run(Self.repository)
        #expect(snapshot.path == s.cache.repositoryFolder(Self.repository).appendingPathComponent("snapshots/\(s.hub.commit)").path)
        for file in s.hub.files {
            #expect(try Data(contentsOf: snapshot.appendingPathComponent(file.name)) == file.data, "\(file.name)")
        }
        // LFS files are stored under their SHA-256, linked relatively as huggingface_hub links them.
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("model.safetensors").path)
        #expect(link == "../../blobs/" + SHA256.hex(s.hub.files[1].data))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("sub/extra.bin").path)
            .hasPrefix("../../../blobs/"))
        #expect(s.cache.commit(Self.repository) == s.hub.commit)
        #expect(s.cache.snapshot(Self.repository)?.path == snapshot.path)
        let fetched = s.hub.byteRequests.count
        #expect(fetched == 3)

        // A second run reads the metadata only.
        try s.download().run(Self.repository)
        #expect(s.hub.byteRequests.count == fetched)
        // Offline, the cache answers.
        #expect(try s.download().run(Self.repository, offline: true).path == snapshot.path)
    }

    @Test func anInterruptedTransferResumesWithARange() throws {
        let s = try Self.setup { $0[1].cutOnceAfter = 100_000 }
        defer { s.hub.stop(); try? FileManager.default.removeItem(at: s.folder) }
        s.hub.redirect = .absolute
        #expect(throws: ModelHubError.self) { try s.download().run(Self.repository) }
        let partial = s.cache.repositoryFolder(Self.repository)
            .appendingPathComponent("blobs/\(SHA256.hex(s.hub.files[1].data)).incomplete")
        let kept = try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int
        #expect(kept == 100_000)

        let snapshot = try s.download().run(Self.repository)
        #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == s.hub.files[1].data)
        #expect(s.hub.byteRequests.contains { $0.path == "/cdn/\(Self.repository)/model.safetensors" && $0.range == "bytes=100000-" })
        #expect(!FileManager.default.fileExists(atPath: partial.path))
    }

    @Test func corruptedBytesAreRefusedAndKeptOutOfTheCache() throws {
        let s = try Self.setup { $0[1].corrupted = true }
        defer { s.hub.stop(); try? FileManager.default.removeItem(at: s.folder) }
        do {
            try s.download().run(Self.repository)
            Issue.record("a corrupted file was accepted")
        } catch let error as ModelHubError {
            #expect(error.description.contains("model.safetensors: SHA-256") && error.description.contains("discarded"), "\(error)")
        }
        let blobs = s.cache.repositoryFolder(Self.repository).appendingPathComponent("blobs")
        let names = try FileManager.default.contentsOfDirectory(atPath: blobs.path)
        #expect(!names.contains { $0.hasPrefix(SHA256.hex(s.hub.files[1].data)) })
        #expect(s.cache.commit(Self.repository) == nil)  // no ref: the revision is not complete
    }

    @Test func aServerThatLiesAboutSizesIsRefused() throws {
        let longer = try Self.setup { $0[2].claimedLength = 6000 }
        defer { longer.hub.stop(); try? FileManager.default.removeItem(at: longer.folder) }
        #expect(throws: ModelHubError("bosonai/tiny-model/sub/extra.bin: the server offers 6000 bytes but the hub lists 5000")) {
            try longer.download().run(Self.repository)
        }
        let listed = try Self.setup { $0[2].listedSize = 4000 }
        defer { listed.hub.stop(); try? FileManager.default.removeItem(at: listed.folder) }
        #expect(throws: ModelHubError.self) { try listed.download().run(Self.repository) }
    }

    @Test func authorizationAndMissingRepositories() throws {
        let s = try Self.setup()
        defer { s.hub.stop(); try? FileManager.default.removeItem(at: s.folder) }
        s.hub.requiredToken = "secret"
        do {
            try s.download().run(Self.repository)
            Issue.record("no token was accepted")
        } catch let error as ModelHubError {
            #expect(error.description.contains("(401)") && error.description.contains("set HF_TOKEN"))
        }
        do {
            try s.download(["HF_TOKEN": "wrong"]).run(Self.repository)
            Issue.record("a wrong token was accepted")
        } catch let error as ModelHubError {
            #expect(error.description.contains("(403)") && error.description.contains("HF_TOKEN cannot read it"))
        }
        let snapshot = try s.download(["HF_TOKEN": "secret"]).run(Self.repository)
        #expect(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("config.json").path))

        #expect(throws: ModelHubError("bosonai/nothing@main: not found (404): check the repository, revision and file names")) {
            try s.download(["HF_TOKEN": "secret"]).run("bosonai/nothing")
        }
        #expect(throws: ModelHubError.self) { try s.download().run("bosonai/nothing", offline: true) }
    }

    /// A full disk is named as such. (The partial file is made a link to /dev/full, which takes no bytes.)
    @Test func aFullDiskIsNamed() throws {
        let s = try Self.setup()
        defer { s.hub.stop(); try? FileManager.default.removeItem(at: s.folder) }
        let blobs = s.cache.repositoryFolder(Self.repository).appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: blobs.appendingPathComponent(SHA256.hex(s.hub.files[1].data) + ".incomplete").path,
                                                   withDestinationPath: "/dev/full")
        do {
            try s.download().run(Self.repository)
            Issue.record("writing to a full disk succeeded")
        } catch let error as ModelHubError {
            #expect(error.description == "bosonai/tiny-model/model.safetensors: cannot write (the disk is full)", "\(error)")
        }
    }

    /// A download that would not fit on the cache's disk stops before its first byte, saying what it needs;
    /// what is in the cache already (or partly) needs no room.
    @Test func aDownloadThatWouldNotFitStopsFirst() throws {
        let s = try Self.setup()
        defer { s.hub.stop(); try? FileManager.default.removeItem(at: s.folder) }
        let total = s.hub.files.reduce(0) { $0 + $1.data.count }
        let small = s.download()
        small.freeSpace = { _ in total / 2 }
        do {
            try small.run(Self.repository)
            Issue.record("a download twice the free space started")
        } catch let error as ModelHubError {
            #expect(error.description.hasPrefix("bosonai/tiny-model: needs \(Download.Progress.bytes(total)) more in "), "\(error)")
            #expect(error.description.hasSuffix("and that disk has \(Download.Progress.bytes(total / 2)) free; make room, or set "
                                                + "HF_HUB_CACHE to a folder on a larger disk"), "\(error)")
        }
        #expect(s.hub.byteRequests.isEmpty)

        // Half of the weights are there from an earlier, interrupted run: the rest fits.
        let blobs = s.cache.repositoryFolder(Self.repository).appendingPathComponent("blobs")
        let weights = s.hub.files[1].data
        try weights.prefix(weights.count / 2).write(to: blobs.appendingPathComponent(SHA256.hex(weights) + ".incomplete"))
        let resumed = s.download()
        resumed.freeSpace = { _ in (total - weights.count / 2) * 11 / 10 }
        try resumed.run(Self.repository)
        // Complete, it needs nothing.
        let again = s.download()
        again.freeSpace = { _ in 0 }
        try again.run(Self.repository)
    }

    /// Files go at most `parallel` at a time, and the progress the bar draws adds up.
    @Test func transfersAreBoundedAndProgressAddsUp() throws {
        let s = try Self.setup { files in
            for i in 0..<5 { files.append(LoopbackHub.File(name: "part\(i).bin", data: Data(repeating: UInt8(i), count: 20_000))) }
        }
        defer { s.hub.stop(); try? FileManager.default.removeItem(at: s.folder) }
        s.hub.delay = 0.2
        let download = s.download()  // parallel: 2
        try download.run(Self.repository)
        #expect(s.hub.mostAtOnce == 2)
        let progress = download.current
        #expect(progress.files == 8 && progress.filesDone == 8)
        #expect(progress.total == s.hub.files.reduce(0) { $0 + $1.data.count } && progress.done == progress.total)
    }
}
