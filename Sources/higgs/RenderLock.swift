import Foundation
import Studio
#if canImport(Glibc)
import Glibc
#endif

/// `.NAME.higgs.render` beside a project while `higgs render` makes its takes and export, holding its process id
/// under an exclusive lock. A second render of the project refuses rather than make every line again beside the
/// first (each writing its own line records over the other's), and `higgs takes --prune` refuses rather than remove
/// takes made but not yet recorded. A render that dies releases the lock with its process; its file, left behind,
/// is taken over by the next render.
struct RenderLock {
    private let fd: Int32
    private let path: String

    static func url(for project: URL) -> URL {
        project.deletingLastPathComponent().appendingPathComponent(".\(project.lastPathComponent).render")
    }

    /// Locks `project` for this process; throws naming the render that has it. A folder that cannot take the lock
    /// file is no reason not to render: the lock is then not taken (nil).
    static func take(_ project: URL) throws -> RenderLock? {
        let path = url(for: project).path
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return nil }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let pid = processID(in: fd)
                close(fd)
                throw StudioError("\(project.path): another higgs render\(pid.map { " (process \($0))" } ?? "") is making its takes; "
                                  + "wait for it to end (two would each make every line)")
            }
            // The file may have been removed by the render that held it, between our open and our lock: lock the
            // file at the path, not one no longer there.
            var held = stat(), there = stat()
            guard fstat(fd, &held) == 0, stat(path, &there) == 0, held.st_ino == there.st_ino, held.st_dev == there.st_dev else {
                close(fd)
                continue
            }
            let id = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = id.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            return RenderLock(fd: fd, path: path)
        }
    }

    /// The render that has `project` locked now, or nil (none; or its id does not read: 0).
    static func holder(of project: URL) -> pid_t? {
        let fd = open(url(for: project).path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) != 0 else { return nil }
        return processID(in: fd) ?? 0
    }

    /// Removes the file, then lets go of the lock (a render waiting to open it finds it gone and makes its own).
    func release() {
        unlink(path)
        close(fd)
    }

    private static func processID(in fd: Int32) -> pid_t? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return pid_t(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
