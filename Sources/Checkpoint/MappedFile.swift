import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file.
///
/// Weights are used straight from the page cache: nothing is copied until a kernel reads it,
/// and pages the model never touches (say, the text MLP during audio steps) are never loaded.
public final class MappedFile: @unchecked Sendable {
    public let url: URL
    public let bytes: UnsafeRawBufferPointer

    public init(url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw CheckpointError(url: url, errno == ENOENT ? "file not found" : "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError(url: url, "cannot stat (\(String(cString: strerror(errno))))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError(url: url, "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw CheckpointError(url: url, "cannot memory-map (\(String(cString: strerror(errno))))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    public var count: Int { bytes.count }

    /// Drops the pages wholly inside `range` from this process's memory (they are read again from the
    /// file if touched): after a tensor has been converted, its source pages need not stay resident.
    public func releasePages(of range: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, let start = range.baseAddress, range.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let last = (Int(bitPattern: start) + range.count) / page * page
        let lower = Int(bitPattern: base), upper = lower + bytes.count
        guard last > first, first >= lower, last <= upper else { return }
        madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, MADV_DONTNEED)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// Reads a little-endian unsigned integer at `offset` (bounds checked by the caller).
    func loadUInt64LE(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 8]))
        }
        return UInt64(littleEndian: value)
    }
}
