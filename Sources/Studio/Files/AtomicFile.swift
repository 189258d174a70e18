import Foundation
import Prompt
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that a reader (or the next start after a crash) sees the old content or the new,
/// never a mix: a temporary file beside the target, written in full, flushed, renamed over the target,
/// and the folder flushed so the rename itself survives a power cut.
public enum AtomicFile {
    /// - Parameter durable: fsync the file and its folder (saves); false for frequent autosaves, which
    ///   must survive the process dying (they do: the kernel has the data) but not the machine.
    public static func write(_ data: Data, to url: URL, durable: Bool = true) throws {
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fileError(url, "cannot create \(temp.lastPathComponent)") }
        var ok = false
        defer {
            if !ok { unlink(temp.path) }
        }
        let written: Bool = data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        let synced = !durable || fsync(fd) == 0
        let saveErrno = errno
        close(fd)
        guard written && synced else {
            errno = saveErrno
            throw fileError(url, "cannot write")
        }
        guard rename(temp.path, url.path) == 0 else { throw fileError(url, "cannot replace") }
        ok = true
        if durable {
            let dir = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dir >= 0 {
                fsync(dir)
                close(dir)
            }
        }
    }

    static func fileError(_ url: URL, _ what: String) -> StudioError {
        StudioError("\(url.path): \(what): \(String(cString: strerror(errno)))")
    }
}
