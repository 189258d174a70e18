import Foundation
import Prompt
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that a reader (or the next start after a crash) sees the old content or the new,
/// never a mix: a temporary file beside the target, written in full, flushed, renamed over the target,
/// and the folder flushed so the rename itself survives a power cut.
///
/// What a writer expects of saving over an existing file holds too: a symbolic link stays a link (the file it
/// points to is replaced), the file keeps its permissions (and its group and owner where this user may give
/// them), and a file without write permission is not replaced.
public enum AtomicFile {
    /// - Parameter durable: fsync the file and its folder (saves); false for frequent autosaves, which
    ///   must survive the process dying (they do: the kernel has the data) but not the machine.
    public static func write(_ data: Data, to url: URL, durable: Bool = true) throws {
        let target = url.resolvingSymlinksInPath()
        let folder = target.deletingLastPathComponent()
        var existing = stat()
        let replacing = stat(target.path, &existing) == 0
        if replacing {
            // Root may write anything; the permission bits still say whether the file is meant to change.
            guard existing.st_mode & 0o222 != 0 && access(target.path, W_OK) == 0 else {
                throw StudioError("\(url.path): the file is read-only (\(permissions(existing.st_mode)))")
            }
        }
        let temp = folder.appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)  // the umask decides, as for any new file
        guard fd >= 0 else { throw folderError(url, folder) }
        var ok = false
        defer {
            if !ok { unlink(temp.path) }
        }
        if replacing {
            _ = fchmod(fd, existing.st_mode & 0o7777)
            _ = fchown(fd, existing.st_uid, existing.st_gid)  // refused unless root or the same owner: best effort
            _ = fchmod(fd, existing.st_mode & 0o7777)  // a chown clears set-id bits
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
        guard rename(temp.path, target.path) == 0 else { throw fileError(url, "cannot replace") }
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

    /// Why nothing could be created in the folder, said of the folder rather than of the temporary file.
    static func folderError(_ url: URL, _ folder: URL) -> StudioError {
        let reason = errno
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) {
            return StudioError("\(url.path): there is no folder \(folder.path)")
        }
        if !isFolder.boolValue { return StudioError("\(url.path): \(folder.path) is not a folder") }
        if reason == EACCES || reason == EPERM || reason == EROFS {
            return StudioError("\(url.path): the folder \(folder.path) is not writable")
        }
        return StudioError("\(url.path): cannot create a file in \(folder.path): \(String(cString: strerror(reason)))")
    }

    /// `0444`, as `ls -l` would let one work out.
    static func permissions(_ mode: mode_t) -> String { "mode " + String(mode & 0o7777, radix: 8).leftPadded(to: 4) }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
