import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `.NAME.higgs.open` beside a project while studios have it open, holding their process ids, one a line. The
/// studio's undo can bring back lines whose takes `higgs takes --prune` would remove, so pruning asks them first.
/// Each studio adds and takes away its own id only, so the mark stays while any studio has the project open. A
/// studio that died leaves its id behind; an id whose process is gone counts for nothing (and is dropped at the
/// next change). Changes hold a lock on the file: two studios opening at once both stay in it.
public enum OpenMark {
    public static func url(for project: URL) -> URL {
        project.deletingLastPathComponent().appendingPathComponent(".\(project.lastPathComponent).open")
    }

    /// Marks `project` open in this process (nothing is said when its folder cannot take the mark: it only guards).
    public static func mark(_ project: URL) {
        change(project) { ids in ids.contains(getpid()) ? ids : ids + [getpid()] }
    }

    /// Takes this process's id away; the mark goes when no live process is left in it.
    public static func clear(_ project: URL) {
        change(project) { ids in ids.filter { $0 != getpid() } }
    }

    /// The first live process, other than this one (unless `includingThisProcess`), that has `project` open; nil
    /// when none has.
    public static func holder(of project: URL, includingThisProcess: Bool = false) -> pid_t? {
        holders(of: project).first { includingThisProcess || $0 != getpid() }
    }

    /// Every live process (this one included) that has `project` open, in the order they opened it.
    public static func holders(of project: URL) -> [pid_t] {
        let fd = open(url(for: project).path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        flock(fd, LOCK_SH)
        return read(fd).filter(isAlive)
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        // Signal 0 only asks whether the process is there (EPERM: it is, another user's).
        pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    }

    private static func read(_ fd: Int32) -> [pid_t] {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = pread(fd, &buffer, buffer.count, off_t(data.count))
            guard n > 0 else { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }.filter { $0 > 0 }
    }

    /// Rewrites the mark's ids (the dead ones dropped) under its lock, in place: an atomic rename would give a
    /// process waiting for the lock a file no longer there. The file is removed when no id is left.
    private static func change(_ project: URL, _ update: ([pid_t]) -> [pid_t]) {
        let path = url(for: project).path
        for _ in 0..<5 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return }
            defer { close(fd) }
            guard flock(fd, LOCK_EX) == 0 else { return }
            // Removed (and perhaps made again) while this waited for the lock: start over on the file there now.
            var held = stat(), there = stat()
            guard fstat(fd, &held) == 0, stat(path, &there) == 0, held.st_ino == there.st_ino, held.st_dev == there.st_dev else { continue }
            let ids = update(read(fd).filter(isAlive))
            if ids.isEmpty {
                unlink(path)
            } else {
                let text = Array(ids.map { "\($0)\n" }.joined().utf8)
                _ = ftruncate(fd, 0)
                _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            }
            return
        }
    }
}
