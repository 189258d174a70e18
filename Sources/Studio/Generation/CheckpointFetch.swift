import Foundation
import ModelHub

/// The checkpoints the studio could not find, fetched from the studio itself as `higgs download` fetches them:
/// into the Hugging Face cache, resumable (a fetch stopped by quitting goes on where it stopped next time)
/// and checked against the sizes and SHA-256 the hub lists.
///
/// Offered only for checkpoints looked for in the cache or the default folder. A folder the writer named
/// (`--model`, `$HIGGS_MODEL`, the config file) comes first, so a copy in the cache would never be used: it
/// is theirs to fill. Nor with `HF_HUB_OFFLINE` set, which forbids fetching.
public struct CheckpointFetch: Sendable {
    /// The repositories to fetch: those missing, the generation model first.
    public let repositories: [String]
    let location: EngineLocation
    let environment: [String: String]

    public init?(for location: EngineLocation, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let offline = HubClient.isOffline(environment)
        let named: Set<EngineLocation.Source> = [.flag, .environment, .configFile]
        var repositories: [String] = []
        if location.missingModel != nil {
            guard !named.contains(location.modelSource) else { return nil }
            repositories.append(EngineLocation.modelRepository)
        }
        if location.missingAudioTokenizer != nil {
            guard !named.contains(location.audioTokenizerSource) else { return nil }
            repositories.append(EngineLocation.tokenizerRepository)
        }
        guard !repositories.isEmpty, !offline else { return nil }
        self.repositories = repositories
        self.location = location
        self.environment = environment
    }

    /// Where the files go.
    public var destination: URL { HubCache(environment: environment).root }

    /// What is fetched, for the question that offers it: the published sizes (the model's shards add up
    /// to 11.5 GB; the tokenizer's model.pth, float32, to about 0.8 GB), and what an earlier download left.
    public var summary: String {
        repositories.map { repository in
            var size = repository == EngineLocation.modelRepository ? "11.5 GB" : "0.8 GB"
            let here = bytesHere(of: repository)
            if here > 0 { size += ", \(Download.Progress.bytes(here)) of it here already" }
            return "\(repository) (\(size))"
        }.joined(separator: " and ")
    }

    /// Bytes of a repository's files in the cache, whole or in part (a download that was stopped).
    func bytesHere(of repository: String) -> Int {
        let blobs = HubCache(environment: environment).repositoryFolder(repository).appendingPathComponent("blobs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []
        return names.reduce(0) { sum, name in
            sum + ((try? FileManager.default.attributesOfItem(atPath: blobs.appendingPathComponent(name).path)[.size] as? Int) ?? 0)
        }
    }

    /// Fetches the repositories one after another, telling `progress` how far it is a few times a second,
    /// and returns the location with their snapshots in place of the missing folders.
    public func run(progress: @escaping @Sendable (String) -> Void) throws -> EngineLocation {
        var found = location
        for repository in repositories {
            let download = Download(cache: HubCache(environment: environment), client: HubClient(environment: environment))
            let reporter = DispatchSource.makeTimerSource(queue: .global())
            reporter.schedule(deadline: .now(), repeating: 0.25)
            reporter.setEventHandler { progress(Self.describe(download.current, of: repository)) }
            reporter.resume()
            defer { reporter.cancel() }
            let snapshot = try download.run(repository)
            if repository == EngineLocation.modelRepository {
                (found.model, found.modelSource) = (snapshot, .huggingFaceCache)
            } else {
                (found.audioTokenizer, found.audioTokenizerSource) = (snapshot, .huggingFaceCache)
            }
        }
        if let still = found.unavailableReason { throw StudioError("fetched the checkpoints, yet: \(still)") }
        return found
    }

    /// `downloading bosonai/higgs-audio-v2-tokenizer: 210 MB of 805 MB (26%), 31 MB/s, 0m19s left`.
    public static func describe(_ p: Download.Progress, of repository: String) -> String {
        guard p.total > 0 else { return "downloading \(repository): asking the hub for its files" }
        var text = String(format: "downloading %@: %@ of %@ (%.0f%%)", repository, Download.Progress.bytes(p.done),
                          Download.Progress.bytes(p.total), p.fraction * 100)
        if let left = p.secondsLeft {
            text += ", \(Download.Progress.bytes(Int(p.bytesPerSecond)))/s, \(Download.Progress.duration(left)) left"
        }
        return text
    }
}

extension CheckpointFetch {
    /// A download's error, `URL: what went wrong`, with what went wrong first: on a line cut at the terminal's
    /// width the hub's long address would leave no room for it ("Could not resolve host").
    public static func causeFirst(_ message: String) -> String {
        guard let split = message.range(of: ": "), !message[..<split.lowerBound].contains(" ") else { return message }
        return "\(message[split.upperBound...]) (\(message[..<split.lowerBound]))"
    }
}
