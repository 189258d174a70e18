import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file being written beside its destination (hidden, `.name.pid.random.tmp` in the same folder), renamed
/// onto it once complete, so a reader (or a crash) never sees half a file. Dropped before `commit`, it is
/// removed and the destination is untouched: a writer that fails midway leaves nothing behind.
///
/// A symbolic link stays a link: the file it points to is replaced. A destination that is no file (a pipe, a
/// device such as `/dev/stdout`, a folder) is refused: the rename would put a file in its place, and nothing
/// would reach its reader.
final class PendingFile {
    let url: URL
    /// Where the file goes: `url`, or the file its links lead to.
    private let destination: String
    private let temporary: String
    private var fd: Int32

    init(beside url: URL) throws {
        var info = stat()
        if stat(url.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            let kind = info.st_mode & S_IFMT
            let what = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a pipe" : kind == S_IFCHR || kind == S_IFBLK ? "a device" : "no file"
            throw AudioFileError(file: url.path, "is \(what): audio is written to a file, give a file's path")
        }
        let target = url.resolvingSymlinksInPath()
        let folder = target.deletingLastPathComponent()
        self.url = url
        destination = target.path
        temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw AudioFileError(file: url.path, "cannot create a file in \(folder.path) (\(String(cString: strerror(errno))))")
        }
    }

    deinit { discard() }

    /// Appends `bytes`; on failure the file is discarded.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw AudioFileError(file: url.path, "cannot write: the file is already closed") }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure()
            }
            done += n
        }
    }

    func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }

    /// Overwrites bytes already written (a header's sizes, once known); on failure the file is discarded.
    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard fd >= 0 else { throw AudioFileError(file: url.path, "cannot write: the file is already closed") }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure()
            }
            done += n
        }
    }

    /// Flushes the file to disk and renames it onto the destination.
    func commit() throws {
        guard fd >= 0 else { throw AudioFileError(file: url.path, "cannot write: the file is already closed") }
        guard fsync(fd) == 0 else { throw failure() }
        close(fd)
        fd = -1
        guard rename(temporary, destination) == 0 else {
            let error = AudioFileError(file: url.path, "cannot write (\(String(cString: strerror(errno))))")
            unlink(temporary)
            throw error
        }
    }

    /// Closes and removes the file, unless committed.
    func discard() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporary)
    }

    /// The error for the failed call (errno read before anything else can change it); the file is discarded.
    private func failure() -> AudioFileError {
        let error = AudioFileError(file: url.path, "cannot write (\(String(cString: strerror(errno))))")
        discard()
        return error
    }
}
