import Foundation

/// The table of contents of a zip file held in memory (a mapping): where each entry's bytes lie.
///
/// Only what `torch.save` archives need: stored (uncompressed) or deflated entries, zip64 sizes
/// and offsets, one disk. Every offset is checked against the buffer, so a hostile or truncated
/// file gives a `CheckpointError` and never a read out of bounds.
struct ZipDirectory {
    struct Entry {
        let name: String
        /// 0 stored, 8 deflated.
        let method: Int
        let compressedSize: Int
        let size: Int
        /// Where the entry's (possibly compressed) bytes begin in the buffer.
        let dataOffset: Int
    }

    let entries: [Entry]

    static let maximumEntries = 1_000_000

    init(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem) }
        let reader = ByteReader(bytes: bytes)
        let count = bytes.count
        guard count >= 22 else { throw fail("truncated: \(count) bytes, too short for a zip archive") }

        // The end-of-central-directory record: the last signature within the final 64 KiB + 22.
        var eocd = -1
        var at = count - 22
        let lowest = max(0, count - 22 - 65_535)
        while at >= lowest {
            if reader.u32(at) == 0x0605_4B50 { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else { throw fail("not a zip archive (no end-of-central-directory record); truncated or not a torch.save file") }
        var entryCount = Int(reader.u16(eocd + 10))
        var directorySize = Int(reader.u32(eocd + 12))
        var directoryOffset = Int(reader.u32(eocd + 16))
        if reader.u16(eocd + 4) != 0 || reader.u16(eocd + 6) != 0 {
            throw fail("multi-disk zip archives are not supported")
        }

        // Zip64: a locator just before the record points at the 64-bit record.
        if eocd >= 20, reader.u32(eocd - 20) == 0x0706_4B50 {
            let record64 = try reader.int64(eocd - 20 + 8, fail: fail)
            guard record64 >= 0, record64 <= count - 56, reader.u32(record64) == 0x0606_4B50 else {
                throw fail("zip64 end-of-central-directory record out of bounds")
            }
            entryCount = try reader.int64(record64 + 32, fail: fail)
            directorySize = try reader.int64(record64 + 40, fail: fail)
            directoryOffset = try reader.int64(record64 + 48, fail: fail)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset <= count, directorySize <= count - directoryOffset else {
            throw fail("truncated: the zip central directory (\(directorySize) bytes at \(directoryOffset)) lies past the end of the file (\(count) bytes)")
        }
        guard entryCount >= 0, entryCount <= Self.maximumEntries, entryCount <= directorySize / 46 + 1 else {
            throw fail("zip central directory claims \(entryCount) entries in \(directorySize) bytes")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(entryCount)
        var cursor = directoryOffset
        let end = directoryOffset + directorySize
        for index in 0..<entryCount {
            guard cursor + 46 <= end, reader.u32(cursor) == 0x0201_4B50 else {
                throw fail("zip central directory entry \(index) is malformed or truncated")
            }
            let flags = Int(reader.u16(cursor + 8))
            let method = Int(reader.u16(cursor + 10))
            var compressed = Int(reader.u32(cursor + 20))
            var size = Int(reader.u32(cursor + 24))
            let nameLength = Int(reader.u16(cursor + 28))
            let extraLength = Int(reader.u16(cursor + 30))
            let commentLength = Int(reader.u16(cursor + 32))
            var localOffset = Int(reader.u32(cursor + 42))
            let nameStart = cursor + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= end else { throw fail("zip central directory entry \(index) runs past the directory") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<extraStart]), as: UTF8.self)

            // The zip64 extra field holds, in order, whichever of the 32-bit fields were saturated.
            var extra = extraStart
            while extra + 4 <= extraStart + extraLength {
                let id = reader.u16(extra), length = Int(reader.u16(extra + 2))
                let body = extra + 4
                guard body + length <= extraStart + extraLength else { break }
                if id == 0x0001 {
                    var field = body
                    func take() throws -> Int {
                        guard field + 8 <= body + length else { throw fail("entry '\(Unpickler.printable(name))': zip64 extra field too short") }
                        defer { field += 8 }
                        return try reader.int64(field, fail: fail)
                    }
                    if size == 0xFFFF_FFFF { size = try take() }
                    if compressed == 0xFFFF_FFFF { compressed = try take() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try take() }
                }
                extra = body + length
            }
            if flags & 1 != 0 { throw fail("entry '\(Unpickler.printable(name))' is encrypted") }
            guard localOffset >= 0, localOffset <= count - 30, reader.u32(localOffset) == 0x0403_4B50 else {
                throw fail("entry '\(Unpickler.printable(name))': local header out of bounds or malformed (truncated archive?)")
            }
            let dataOffset = localOffset + 30 + Int(reader.u16(localOffset + 26)) + Int(reader.u16(localOffset + 28))
            guard compressed >= 0, size >= 0, dataOffset <= count, compressed <= count - dataOffset else {
                throw fail("truncated: entry '\(Unpickler.printable(name))' (\(compressed) bytes) runs past the end of the file (\(count) bytes)")
            }
            if method == 0, compressed != size {
                throw fail("entry '\(Unpickler.printable(name))' is stored but its sizes differ (\(compressed) and \(size))")
            }
            entries.append(Entry(name: name, method: method, compressedSize: compressed, size: size, dataOffset: dataOffset))
            cursor = next
        }
        self.entries = entries
    }
}

/// Bounds-checked little-endian loads for the zip parser (callers check ranges first).
struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    func u16(_ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= bytes.count else { return 0 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    func u32(_ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    func int64(_ at: Int, fail: (String) -> CheckpointError) throws -> Int {
        guard at >= 0, at + 8 <= bytes.count else { throw fail("truncated zip64 field") }
        let value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        guard value <= UInt64(Int.max / 2) else { throw fail("zip64 field out of range (\(value))") }
        return Int(value)
    }
}
