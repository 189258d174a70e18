import Foundation
import ModelHub
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 that answers the hub endpoints a download uses, with the hub's
/// metadata and redirects, and misbehaves on demand. One thread per connection; every response closes it.
public final class LoopbackHub: @unchecked Sendable {
    public struct File {
        public var name: String
        public var data: Data
        public var lfs = true
        /// Sent instead of the real bytes (the listed SHA-256 stays the real one's).
        public var corrupted = false
        /// The first body response stops after this many bytes and drops the connection.
        public var cutOnceAfter: Int?
        /// The size the metadata lists, when it lies.
        public var listedSize: Int?
        /// A Content-Length that lies (larger than what is sent).
        public var claimedLength: Int?

        public init(name: String, data: Data, lfs: Bool = true) {
            self.name = name
            self.data = data
            self.lfs = lfs
        }

        /// Every file of a folder (a checkpoint to serve), links followed; `.json` files are not LFS.
        public static func folder(_ url: URL) throws -> [File] {
            try FileManager.default.contentsOfDirectory(atPath: url.path).sorted().map { name in
                File(name: name, data: try Data(contentsOf: url.appendingPathComponent(name)), lfs: !name.hasSuffix(".json"))
            }
        }
    }

    /// Each repository's files, all at one commit.
    public var repositories: [String: [File]]
    public let commit = String(repeating: "c0ffee", count: 7).prefix(40).description
    /// A token the server requires (401 without, 403 with a wrong one); nil: open.
    public var requiredToken: String?
    /// How resolve answers: a relative or absolute redirect to the CDN path, or the bytes directly.
    public enum Redirect: Sendable { case none, relative, absolute }
    public var redirect = Redirect.relative

    /// The repository, of a hub serving one.
    public var repository: String { repositories.keys.first! }
    /// Its files.
    public var files: [File] {
        get { repositories[repository]! }
        set { repositories[repository] = newValue }
    }

    private(set) var port: UInt16 = 0
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var log: [(path: String, range: String?)] = []
    private var cuts: Set<String> = []
    private var active = 0
    /// The most file transfers that were under way at once.
    public private(set) var mostAtOnce = 0
    /// Each file response is held this long before its bytes, so concurrent transfers overlap.
    public var delay: TimeInterval = 0

    public convenience init(repository: String, files: [File]) throws {
        try self.init(repositories: [repository: files])
    }

    /// The test checkpoints (`CheckpointFixtures`, written under `folder`) served as the two published
    /// repositories, under the names given.
    public convenience init(checkpointsIn folder: URL, model: String, tokenizer: String) throws {
        try self.init(repositories: [model: try File.folder(try CheckpointFixtures.modelFolder(in: folder)),
                                     tokenizer: try File.folder(try CheckpointFixtures.audioTokenizer(in: folder))])
    }

    public init(repositories: [String: [File]]) throws {
        self.repositories = repositories
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw ModelHubError("loopback server: cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Wakes the accept loop, which closes the socket itself: closing it here could close a descriptor
    /// number another thread has been given since.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Requests for file bytes so far: path and Range header.
    public var byteRequests: [(path: String, range: String?)] {
        lock.lock()
        defer { lock.unlock() }
        return log.filter { $0.path.hasPrefix("/cdn/") || $0.path.contains("/resolve/") && redirect == .none }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                close(listener)
                return
            }
            Thread { [self] in serve(connection); close(connection) }.start()
        }
    }

    private func serve(_ connection: Int32) {
        var request = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.contains(Data("\r\n\r\n".utf8)) {
            let n = recv(connection, &buffer, buffer.count, 0)
            if n <= 0 { return }
            request.append(buffer, count: n)
        }
        let text = String(decoding: request, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1]).components(separatedBy: "?")[0]
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        lock.lock()
        log.append((path, headers["range"]))
        lock.unlock()

        if let requiredToken, !path.hasPrefix("/cdn/") {
            guard let auth = headers["authorization"] else { return respond(connection, 401, [:], Data("unauthorized".utf8)) }
            if auth != "Bearer \(requiredToken)" { return respond(connection, 403, [:], Data("forbidden".utf8)) }
        }
        for (repository, files) in repositories {
            if path == "/api/models/\(repository)/revision/main" || path == "/api/models/\(repository)/revision/\(commit)" {
                let siblings = files.map { f -> [String: Any] in
                    var entry: [String: Any] = ["rfilename": f.name, "size": f.listedSize ?? f.data.count,
                                                "blobId": SHA256.hex("blob " + f.name).prefix(40).description]
                    if f.lfs { entry["lfs"] = ["sha256": SHA256.hex(f.data), "size": f.listedSize ?? f.data.count] }
                    return entry
                }
                let body = try! JSONSerialization.data(withJSONObject: ["sha": commit, "siblings": siblings])
                return respond(connection, 200, ["Content-Type": "application/json"], body)
            }
            // The CDN's paths name the repository too, as the hub's do (its file names repeat across repositories).
            let resolve = "/\(repository)/resolve/\(commit)/", cdn = "/cdn/\(repository)/"
            if path.hasPrefix(resolve) {
                let name = String(path.dropFirst(resolve.count))
                switch redirect {
                case .relative: return respond(connection, 302, ["Location": cdn + name], Data())
                case .absolute: return respond(connection, 302, ["Location": endpoint + cdn + name], Data())
                case .none: return sendFile(connection, repository, name, range: headers["range"])
                }
            }
            if path.hasPrefix(cdn) { return sendFile(connection, repository, String(path.dropFirst(cdn.count)), range: headers["range"]) }
        }
        respond(connection, 404, [:], Data("not found".utf8))
    }

    private func sendFile(_ connection: Int32, _ repository: String, _ name: String, range: String?) {
        guard let file = repositories[repository]?.first(where: { $0.name == name }) else { return respond(connection, 404, [:], Data()) }
        var data = file.data
        if file.corrupted, !data.isEmpty { data[data.count / 2] ^= 0xFF }
        var start = 0
        if let range, range.hasPrefix("bytes="), let from = Int(range.dropFirst(6).split(separator: "-").first ?? "") {
            start = min(from, data.count)
        }
        let body = data.subdata(in: start..<data.count)
        var headers = ["Content-Length": "\(file.claimedLength ?? body.count)", "ETag": "\"\(SHA256.hex(file.data))\""]
        if start > 0 { headers["Content-Range"] = "bytes \(start)-\(data.count - 1)/\(data.count)" }
        lock.lock()
        let cut = file.cutOnceAfter.flatMap { cuts.contains(repository + "/" + name) ? nil : $0 }
        if cut != nil { cuts.insert(repository + "/" + name) }
        active += 1
        mostAtOnce = max(mostAtOnce, active)
        lock.unlock()
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        respond(connection, start > 0 ? 206 : 200, headers, cut.map { body.prefix($0) } ?? body)
        lock.lock()
        active -= 1
        lock.unlock()
    }

    private func respond(_ connection: Int32, _ status: Int, _ headers: [String: String], _ body: Data) {
        let reason = [200: "OK", 206: "Partial Content", 302: "Found", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"][status] ?? "Status"
        var head = "HTTP/1.1 \(status) \(reason)\r\nConnection: close\r\n"
        var all = headers
        if all["Content-Length"] == nil { all["Content-Length"] = "\(body.count)" }
        for (k, v) in all { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        var out = Data(head.utf8)
        out.append(body)
        out.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(connection, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                sent += n
            }
        }
    }
}
