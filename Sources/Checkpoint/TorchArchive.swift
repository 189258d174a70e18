import Foundation
import ZIPFoundation

/// A `torch.save` file of a state dict (the zip format torch has written since 1.6), such as the
/// audio tokenizer's `model.pth`: `<name>/data.pkl` describes the tensors, `<name>/data/<key>`
/// holds each storage's raw little-endian bytes, `<name>/byteorder` (when present) says little.
///
/// The file is memory-mapped. torch stores entries uncompressed and 64-byte aligned, so a
/// contiguous tensor is a view straight into the mapping; a strided view, an unaligned or a
/// deflated entry is copied once at open.
public final class TorchArchive: TensorStore, @unchecked Sendable {
    public let location: String
    public let tensorNames: [String]
    private let tensors: [String: StoredTensor]

    /// Opens and validates `url`; every problem is a one-line `CheckpointError` naming the file.
    public convenience init(url: URL) throws {
        let file = try MappedFile(url: url)
        try self.init(bytes: file.bytes, backing: file, location: url.path)
    }

    /// Parses an archive held in memory (tests and fuzzing); `location` names it in errors.
    public convenience init(data: Data, location: String) throws {
        let buffer = AlignedBytes(count: data.count)
        data.withUnsafeBytes { if let base = $0.baseAddress { buffer.pointer.copyMemory(from: base, byteCount: data.count) } }
        try self.init(bytes: buffer.bytes, backing: buffer, location: location)
    }

    private init(bytes: UnsafeRawBufferPointer, backing: AnyObject, location: String) throws {
        self.location = location
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: location, problem) }

        if bytes.count >= 2, bytes[0] == 0x80, bytes[1] <= 5 {
            throw fail("legacy torch.save format (a bare pickle, before torch 1.6) is not supported; re-save it with a recent torch")
        }
        if bytes.count < 4 || bytes[0] != 0x50 || bytes[1] != 0x4B {
            throw fail(bytes.isEmpty ? "empty file, not a torch.save archive" : "not a torch.save archive (not a zip file)")
        }
        let directory = try ZipDirectory(bytes, file: location)
        var byName: [String: ZipDirectory.Entry] = [:]
        for entry in directory.entries { byName[entry.name] = entry }

        let pickles = directory.entries.filter {
            $0.name == "data.pkl" || ($0.name.hasSuffix("/data.pkl") && $0.name.dropLast(9).firstIndex(of: "/") == nil)
        }
        guard let pickle = pickles.first else { throw fail("no data.pkl in this zip archive; not a torch.save file") }
        guard pickles.count == 1 else { throw fail("several data.pkl records (\(Unpickler.printable(pickles.map(\.name).joined(separator: ", "))))") }
        let prefix = String(pickle.name.dropLast(8))

        let keeper = ArchiveStorage(backing)
        func contents(_ entry: ZipDirectory.Entry) throws -> UnsafeRawBufferPointer {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<entry.dataOffset + entry.compressedSize])
            switch entry.method {
            case 0: return raw
            case 8:
                let inflated = try Self.inflate(raw, size: entry.size, name: entry.name, fail: fail)
                keeper.copies.append(inflated)
                return inflated.bytes
            default:
                throw fail("entry '\(Unpickler.printable(entry.name))' uses zip compression method \(entry.method); only stored and deflated are supported")
            }
        }

        if let order = byName[prefix + "byteorder"] {
            let text = String(decoding: try contents(order), as: UTF8.self)
            guard text == "little" else { throw fail("tensors saved in \(text.prefix(16)) byte order; only little-endian is supported") }
        }

        let records: [(String, TorchTensorRecord)]
        do {
            records = try Unpickler.stateDict(try contents(pickle))
        } catch let failure as Unpickler.Failure {
            throw fail(failure.problem)
        }

        var storages: [String: UnsafeRawBufferPointer] = [:]
        var tensors: [String: StoredTensor] = [:]
        for (name, record) in records {
            let width = record.dtype.byteWidth
            let raw: UnsafeRawBufferPointer
            if let cached = storages[record.storageKey] {
                raw = cached
            } else {
                guard let entry = byName[prefix + "data/" + record.storageKey] else {
                    throw fail("tensor '\(Unpickler.printable(name))': its storage data/\(Unpickler.printable(record.storageKey)) is missing from the archive")
                }
                raw = try contents(entry)
                storages[record.storageKey] = raw
            }
            let (needed, overflow) = record.storageElements.multipliedReportingOverflow(by: width)
            guard !overflow, raw.count >= needed else {
                throw fail("tensor '\(Unpickler.printable(name))': storage data/\(Unpickler.printable(record.storageKey)) has \(raw.count) bytes, \(record.storageElements) elements of \(width) bytes expected")
            }
            // The furthest element the view reaches must lie inside the storage.
            var count = 1, reach = record.offset
            for (size, stride) in zip(record.shape, record.strides) {
                let (c, o1) = count.multipliedReportingOverflow(by: size)
                let (r, o2) = (size == 0 ? 0 : size - 1).multipliedReportingOverflow(by: stride)
                let (sum, o3) = reach.addingReportingOverflow(r)
                guard !o1, !o2, !o3, c <= 1 << 40 else { throw fail("tensor '\(Unpickler.printable(name))': shape \(record.shape) is too large") }
                count = c
                reach = sum
            }
            // A view larger than its storage repeats elements (stride 0): copying it could take
            // far more memory than the file holds, and a state dict never has one.
            guard count <= record.storageElements else {
                throw fail("tensor '\(Unpickler.printable(name))': a view of \(count) elements over a storage of \(record.storageElements) (broadcast views are not supported)")
            }
            guard count == 0 || reach < record.storageElements else {
                throw fail("tensor '\(Unpickler.printable(name))': shape \(record.shape), strides \(record.strides) at offset \(record.offset) reach past its storage of \(record.storageElements) elements")
            }

            let view: UnsafeRawBufferPointer
            if count == 0 {
                view = UnsafeRawBufferPointer(start: nil, count: 0)
            } else if Self.isContiguous(record.shape, record.strides),
                      Int(bitPattern: raw.baseAddress! + record.offset * width) % width == 0 {
                let start = record.offset * width
                view = UnsafeRawBufferPointer(rebasing: raw[start..<start + count * width])
            } else {
                let copy = AlignedBytes(count: count * width)
                Self.gather(from: raw.baseAddress!, record, width: width, into: copy.pointer)
                keeper.copies.append(copy)
                view = copy.bytes
            }
            tensors[name] = StoredTensor(name: name, dtype: record.dtype, shape: record.shape, bytes: view,
                                         storage: keeper)
        }
        self.tensors = tensors
        self.tensorNames = tensors.keys.sorted()
    }

    public func tensorIfPresent(_ name: String) -> StoredTensor? { tensors[name] }

    /// Row-major contiguity, ignoring the strides of dimensions of size 1.
    static func isContiguous(_ shape: [Int], _ strides: [Int]) -> Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() {
            if size != 1, stride != expected { return false }
            expected *= size
        }
        return true
    }

    /// Copies a strided view into contiguous row-major order.
    private static func gather(from base: UnsafeRawPointer, _ record: TorchTensorRecord, width: Int, into out: UnsafeMutableRawPointer) {
        let rank = record.shape.count
        var index = [Int](repeating: 0, count: rank)
        let total = record.shape.reduce(1, *)
        var source = record.offset
        for i in 0..<total {
            (out + i * width).copyMemory(from: base + source * width, byteCount: width)
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                source += record.strides[d]
                if index[d] < record.shape[d] { break }
                source -= record.strides[d] * record.shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    private static func inflate(_ raw: UnsafeRawBufferPointer, size: Int, name: String,
                                fail: (String) -> CheckpointError) throws -> AlignedBytes {
        // Deflate expands at most 1032 to 1: a larger declared size is a lie, and must not
        // be allocated on the file's word.
        guard size <= raw.count * 1032 + 1024 else {
            throw fail("entry '\(Unpickler.printable(name))' declares \(size) bytes from \(raw.count) compressed, more than deflate can give")
        }
        let out = AlignedBytes(count: size)
        var written = 0
        do {
            _ = try Data.decompress(size: Int64(raw.count), bufferSize: 1 << 16, skipCRC32: true, provider: { position, chunk in
                let start = Int(position)
                // Asked past the end: the stream never ended (the decoder would ask forever).
                guard start >= 0, start < raw.count else { throw CheckpointError(file: name, "deflate data ends early") }
                return Data(UnsafeRawBufferPointer(rebasing: raw[start..<min(raw.count, start + chunk)]))
            }, consumer: { data in
                guard written + data.count <= size else { throw CheckpointError(file: name, "inflates past its declared size") }
                data.withUnsafeBytes { if let b = $0.baseAddress { (out.pointer + written).copyMemory(from: b, byteCount: data.count) } }
                written += data.count
            })
        } catch {
            throw fail("entry '\(Unpickler.printable(name))' does not inflate (corrupt deflate data)")
        }
        guard written == size else { throw fail("entry '\(Unpickler.printable(name))' inflates to \(written) bytes, \(size) declared") }
        return out
    }
}

/// Heap bytes aligned for any element type, owned by whatever tensor views them.
final class AlignedBytes: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(byteCount: max(count, 1), alignment: 64)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }

    deinit { pointer.deallocate() }
}

/// Keeps the mapping and any copies alive for as long as a tensor viewing them is.
private final class ArchiveStorage {
    let backing: AnyObject
    var copies: [AlignedBytes] = []
    init(_ backing: AnyObject) { self.backing = backing }
}
