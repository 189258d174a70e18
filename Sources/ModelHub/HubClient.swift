import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The few hub endpoints a download needs, over HTTP(S):
///
/// - `GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true`: the commit (`sha`) and the files
///   (`siblings`: `rfilename`, `size`, `blobId`, and for LFS files `lfs.sha256` and `lfs.size`);
/// - `GET {endpoint}/{repo}/resolve/{commit}/{file}`: the bytes (often a redirect to a CDN), with `Range`.
///
/// `HF_TOKEN` is sent as a bearer token; `HF_ENDPOINT` replaces https://huggingface.co.
public final class HubClient: @unchecked Sendable {
    public let endpoint: URL
    let token: String?
    let session: URLSession

    /// Whether `HF_HUB_OFFLINE` forbids fetching (as huggingface_hub reads it: 1, true, yes or on).
    public static func isOffline(_ environment: [String: String]) -> Bool {
        ["1", "true", "yes", "on"].contains(environment["HF_HUB_OFFLINE"]?.lowercased() ?? "")
    }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let text = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        endpoint = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text)!
        token = environment["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpAdditionalHeaders = ["User-Agent": "higgs-studio"]
        session = URLSession(configuration: configuration)
    }

    /// A file of a revision as the hub lists it.
    public struct RemoteFile: Equatable, Sendable {
        public var name: String
        public var size: Int
        /// The LFS object's SHA-256 (large files), which is also its name in the cache's blobs.
        public var sha256: String?
        /// The git blob id (small files), their name in the blobs.
        public var blobID: String?

        /// The cache's name for the contents: what huggingface_hub uses as the etag.
        public var blobName: String { sha256 ?? blobID ?? name.replacingOccurrences(of: "/", with: "_") }
    }

    public struct Revision: Equatable, Sendable {
        public var commit: String
        public var files: [RemoteFile]
    }

    /// The commit and files of `revision`.
    public func revision(_ repository: String, _ revision: String) throws -> Revision {
        let url = endpoint.appendingPathComponent("api/models/\(repository)/revision/\(revision)")
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "blobs", value: "true")]
        let (data, response) = try fetch(request(components.url!))
        try check(response, what: "\(repository)@\(revision)")
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let commit = root["sha"] as? String, let siblings = root["siblings"] as? [[String: Any]] else {
            throw ModelHubError("\(url.absoluteString): not the hub's revision metadata")
        }
        let files = siblings.compactMap { entry -> RemoteFile? in
            guard let name = entry["rfilename"] as? String else { return nil }
            let lfs = entry["lfs"] as? [String: Any]
            let size = (lfs?["size"] as? Int) ?? (entry["size"] as? Int) ?? -1
            return RemoteFile(name: name, size: size, sha256: lfs?["sha256"] as? String, blobID: entry["blobId"] as? String)
        }
        return Revision(commit: commit, files: files)
    }

    /// The download URL of a file at a commit.
    public func fileURL(_ repository: String, commit: String, file: String) -> URL {
        endpoint.appendingPathComponent(repository).appendingPathComponent("resolve").appendingPathComponent(commit)
            .appendingPathComponent(file)
    }

    func request(_ url: URL, range from: Int? = nil) -> URLRequest {
        var request = URLRequest(url: url)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let from, from > 0 { request.setValue("bytes=\(from)-", forHTTPHeaderField: "Range") }
        return request
    }

    /// A whole small response, synchronously.
    func fetch(_ request: URLRequest) throws -> (Data, HTTPURLResponse) {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Data?, URLResponse?, Error?) = (nil, nil, nil)
        session.dataTask(with: request) { data, response, error in
            result = (data, response, error)
            done.signal()
        }.resume()
        done.wait()
        if let error = result.2 { throw ModelHubError("\(request.url!.absoluteString): \(error.localizedDescription)") }
        guard let response = result.1 as? HTTPURLResponse else {
            throw ModelHubError("\(request.url!.absoluteString): no HTTP response")
        }
        return (result.0 ?? Data(), response)
    }

    /// Turns the statuses a user can act on into sentences.
    func check(_ response: HTTPURLResponse, what: String) throws {
        switch response.statusCode {
        case 200, 206: return
        case 401, 403:
            throw ModelHubError("\(what): access refused (\(response.statusCode)): "
                                + (token == nil ? "set HF_TOKEN to a token that can read it" : "HF_TOKEN cannot read it")
                                + ", and accept the model's terms on its page if it is gated")
        case 404:
            throw ModelHubError("\(what): not found (404): check the repository, revision and file names")
        case 416:
            throw ModelHubError("\(what): the server refused the resumed range (416)")
        default:
            throw ModelHubError("\(what): the server answered \(response.statusCode)")
        }
    }
}
