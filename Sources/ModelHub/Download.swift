import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a revision of a hub repository into the Hugging Face cache layout, so the hub's own tools
/// see the same files: each file into `blobs/NAME.incomplete` (resumed with a range request when a
/// previous run was cut off), checked against the size and SHA-256 the hub lists, renamed to
/// `blobs/NAME`, linked from `snapshots/COMMIT/FILE`; then `refs/REVISION` names the commit.
/// Files already in the cache are not fetched again. Interrupting and rerunning is safe.
public final class Download: @unchecked Sendable {
    public let cache: HubCache
    public let client: HubClient
    /// Files fetched at once.
    public let parallel: Int

    /// Bytes so far of the whole download (for a progress bar).
    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        public var files: Int
        public var filesDone: Int
        public var seconds: Double

        public init(done: Int, total: Int, files: Int, filesDone: Int, seconds: Double) {
            (self.done, self.total, self.files, self.filesDone, self.seconds) = (done, total, files, filesDone, seconds)
        }

        /// The part done, 0 to 1 (0 before the sizes are known).
        public var fraction: Double { total > 0 ? min(1, Double(done) / Double(total)) : 0 }
        public var bytesPerSecond: Double { seconds > 0 ? Double(done) / seconds : 0 }
        /// The time left at the speed so far; nil before there is a speed.
        public var secondsLeft: Double? {
            bytesPerSecond > 0 ? Double(max(0, total - done)) / bytesPerSecond : nil
        }

        /// `1.2 GB`, as the file manager writes sizes.
        public static func bytes(_ n: Int) -> String { ByteCountFormatter.string(fromByteCount: Int64(n), countStyle: .file) }

        /// `4m05s`, or `1h02m` past an hour.
        public static func duration(_ seconds: Double) -> String {
            let s = Int(seconds.rounded())
            return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
        }
    }

    private let lock = NSLock()
    private var progress = Progress(done: 0, total: 0, files: 0, filesDone: 0, seconds: 0)
    private var started = Date()

    /// Bytes free on the disk holding a folder (nil when it cannot be told): a download that would not fit
    /// stops before its first byte, saying how much it needs.
    public var freeSpace: @Sendable (URL) -> Int? = Download.freeBytes

    public init(cache: HubCache, client: HubClient, parallel: Int = 4) {
        self.cache = cache
        self.client = client
        self.parallel = max(1, parallel)
    }

    public var current: Progress {
        lock.lock()
        defer { lock.unlock() }
        var p = progress
        p.seconds = Date().timeIntervalSince(started)
        return p
    }

    /// Fetches `revision` of `repository` (every file, or those `include` accepts) and returns its snapshot.
    @discardableResult
    public func run(_ repository: String, revision: String = "main", offline: Bool = false,
                    include: (String) -> Bool = { _ in true }) throws -> URL {
        if offline {
            guard let snapshot = cache.snapshot(repository, revision: revision) else {
                throw ModelHubError("\(repository)@\(revision) is not in \(cache.root.path), and HF_HUB_OFFLINE forbids fetching it")
            }
            return snapshot
        }
        let remote = try client.revision(repository, revision)
        let files = remote.files.filter { include($0.name) }
        let repo = cache.repositoryFolder(repository)
        let blobs = repo.appendingPathComponent("blobs")
        let snapshot = repo.appendingPathComponent("snapshots").appendingPathComponent(remote.commit)
        try createFolder(blobs)
        try createFolder(snapshot)
        try checkRoom(for: files, in: blobs, repository: repository)

        lock.lock()
        started = Date()
        progress = Progress(done: 0, total: files.reduce(0) { $0 + max(0, $1.size) }, files: files.count, filesDone: 0, seconds: 0)
        lock.unlock()

        // A bounded number of files at once; the first failure is reported after the others stop.
        let slots = DispatchSemaphore(value: parallel)
        let group = DispatchGroup()
        nonisolated(unsafe) var failures: [Error] = []
        let failureLock = NSLock()
        for file in files {
            slots.wait()
            failureLock.lock()
            let failed = !failures.isEmpty
            failureLock.unlock()
            if failed { slots.signal(); break }
            group.enter()
            DispatchQueue.global().async {
                defer { slots.signal(); group.leave() }
                do {
                    try self.fetch(file, repository: repository, commit: remote.commit, blobs: blobs)
                    try self.link(file, in: snapshot)
                } catch {
                    failureLock.lock()
                    failures.append(error)
                    failureLock.unlock()
                }
            }
        }
        group.wait()
        if let first = failures.first { throw first }
        if revision != remote.commit {
            try createFolder(repo.appendingPathComponent("refs"))
            try write(Data(remote.commit.utf8), to: repo.appendingPathComponent("refs").appendingPathComponent(revision))
        }
        return snapshot
    }

    /// What the files still need (those not in the cache, less what their partial downloads hold) must fit on
    /// the cache's disk, with 1% to spare for the file system.
    private func checkRoom(for files: [HubClient.RemoteFile], in blobs: URL, repository: String) throws {
        let needed = files.reduce(0) { sum, file in
            guard file.size > 0, fileSize(blobs.appendingPathComponent(file.blobName)) != file.size else { return sum }
            return sum + max(0, file.size - (fileSize(blobs.appendingPathComponent(file.blobName + ".incomplete")) ?? 0))
        }
        guard needed > 0, let free = freeSpace(blobs), Double(needed) * 1.01 > Double(free) else { return }
        throw ModelHubError("\(repository): needs \(Progress.bytes(needed)) more in \(blobs.deletingLastPathComponent().path), "
                            + "and that disk has \(Progress.bytes(free)) free; make room, or set HF_HUB_CACHE to a folder on a larger disk")
    }

    static func freeBytes(_ folder: URL) -> Int? {
        var stats = statvfs()
        guard statvfs(folder.path, &stats) == 0 else { return nil }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    // MARK: One file

    private func fetch(_ file: HubClient.RemoteFile, repository: String, commit: String, blobs: URL) throws {
        let blob = blobs.appendingPathComponent(file.blobName)
        if let size = fileSize(blob), file.size < 0 || size == file.size {
            advance(by: max(0, size), finishedFile: true)
            return
        }
        let partial = blobs.appendingPathComponent(file.blobName + ".incomplete")
        let have = fileSize(partial) ?? 0
        let url = client.fileURL(repository, commit: commit, file: file.name)
        var sink = try FileSink(partial: partial, resumeFrom: file.size >= 0 && have <= file.size ? have : 0,
                                expected: file.size, name: "\(repository)/\(file.name)", download: self)
        try sink.receive(client.request(url, range: sink.offset), session: client, check: client.check)
        if file.size >= 0 && sink.offset != file.size {
            throw ModelHubError("\(repository)/\(file.name): the transfer ended at \(sink.offset) of \(file.size) bytes; run again to resume")
        }
        if let sha = file.sha256 {
            let got = try Self.sha256(of: partial)
            guard got == sha.lowercased() else {
                try? FileManager.default.removeItem(at: partial)
                throw ModelHubError("\(repository)/\(file.name): SHA-256 \(got) is not the \(sha) the hub lists; the download was discarded")
            }
        }
        if FileManager.default.fileExists(atPath: blob.path) { try FileManager.default.removeItem(at: blob) }
        try FileManager.default.moveItem(at: partial, to: blob)
        advance(by: 0, finishedFile: true)
    }

    /// `snapshots/COMMIT/FILE` -> `../../blobs/NAME` (one more `..` per folder in FILE), as the hub's tools link.
    private func link(_ file: HubClient.RemoteFile, in snapshot: URL) throws {
        let target = snapshot.appendingPathComponent(file.name)
        try createFolder(target.deletingLastPathComponent())
        let depth = file.name.split(separator: "/").count - 1
        let relative = String(repeating: "../", count: 2 + depth) + "blobs/" + file.blobName
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.createSymbolicLink(atPath: target.path, withDestinationPath: relative)
    }

    func advance(by bytes: Int, finishedFile: Bool = false) {
        lock.lock()
        progress.done += bytes
        if finishedFile { progress.filesDone += 1 }
        lock.unlock()
    }

    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(chunk) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private func fileSize(_ url: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int
    }

    private func createFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ModelHubError("\(url.path): cannot create the folder (\(error.localizedDescription))")
        }
    }

    private func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch {
            throw ModelHubError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}

/// Streams one response body onto the end of a partial file, resuming where it stopped.
struct FileSink {
    let partial: URL
    let expected: Int
    let name: String
    unowned let download: Download
    private(set) var offset: Int

    init(partial: URL, resumeFrom: Int, expected: Int, name: String, download: Download) throws {
        self.partial = partial
        self.expected = expected
        self.name = name
        self.download = download
        offset = resumeFrom
        if !FileManager.default.fileExists(atPath: partial.path) || resumeFrom == 0 {
            guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                throw ModelHubError("\(partial.path): cannot create the file")
            }
        }
        download.advance(by: resumeFrom)
    }

    mutating func receive(_ request: URLRequest, session client: HubClient,
                          check: @escaping (HTTPURLResponse, String) throws -> Void) throws {
        let handle = try FileHandle(forWritingTo: partial)
        defer { try? handle.close() }
        let delegate = StreamDelegate(handle: handle, sink: self, check: check)
        let session = URLSession(configuration: client.session.configuration, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        delegate.done.wait()
        offset = delegate.offset
        if let error = delegate.failure { throw error }
    }
}

/// The URLSession side of a `FileSink`: checks the response, appends the bytes, keeps the range across
/// redirects (a CDN is usually where the bytes come from), and refuses a server that sends too much.
/// A refused transfer is never cancelled, only ignored to its end: cancelling a task whose socket is being
/// torn down crashes swift-corelibs-foundation's URLSession (`_MultiHandle.endOperation`).
final class StreamDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let handle: FileHandle
    let expected: Int
    let name: String
    let download: Download
    let check: (HTTPURLResponse, String) throws -> Void
    let done = DispatchSemaphore(value: 0)
    var offset: Int
    var failure: Error?

    init(handle: FileHandle, sink: FileSink, check: @escaping (HTTPURLResponse, String) throws -> Void) {
        self.handle = handle
        expected = sink.expected
        name = sink.name
        download = sink.download
        offset = sink.offset
        self.check = check
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        var next = request
        if let range = task.originalRequest?.value(forHTTPHeaderField: "Range") { next.setValue(range, forHTTPHeaderField: "Range") }
        // The token is for the hub, not for wherever it redirects.
        if next.url?.host != task.originalRequest?.url?.host { next.setValue(nil, forHTTPHeaderField: "Authorization") }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = ModelHubError("\(name): no HTTP response")
            completionHandler(.allow)
            return
        }
        do {
            try check(http, name)
            if http.statusCode == 200 && offset > 0 {
                // The server ignored the range: start the file again.
                try handle.truncate(atOffset: 0)
                download.advance(by: -offset)
                offset = 0
            }
            try handle.seek(toOffset: UInt64(offset))
            if expected >= 0, let length = http.value(forHTTPHeaderField: "Content-Length").flatMap(Int.init),
               offset + length != expected {
                throw ModelHubError("\(name): the server offers \(offset + length) bytes but the hub lists \(expected)")
            }
            completionHandler(.allow)
        } catch {
            failure = error
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        if expected >= 0 && offset + data.count > expected {
            failure = ModelHubError("\(name): the server sent more than the \(expected) bytes the hub lists")
            return
        }
        do {
            try handle.write(contentsOf: data)
            offset += data.count
            download.advance(by: data.count)
        } catch {
            let full = (error as NSError).code == Int(ENOSPC) || "\(error)".contains("No space")
            failure = ModelHubError("\(name): cannot write \(full ? "(the disk is full)" : "(\(error.localizedDescription))")")
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error, (error as NSError).code != NSURLErrorCancelled {
            failure = ModelHubError("\(name): \(error.localizedDescription) after \(offset) bytes; run again to resume")
        }
        done.signal()
    }
}
