import Foundation

/// One entry of a safetensors header: where a tensor's bytes lie in the data section.
public struct SafeTensorsEntry: Equatable, Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let dataRange: Range<Int>
}

/// The safetensors layout: an 8-byte little-endian header length, a JSON header mapping tensor
/// names to dtype, shape and data offsets, then the data section.
public enum SafeTensorsHeader {
    /// The format's own limit on the header length.
    public static let maximumHeaderLength = 100_000_000

    /// Parses and validates the header of a safetensors file held in `bytes`.
    /// Every inconsistency is a `CheckpointError` naming `file`; nothing here traps.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> (entries: [SafeTensorsEntry], dataOffset: Int) {
        guard bytes.count >= 8 else {
            throw CheckpointError(file: file, "truncated: \(bytes.count) bytes, too short for the 8-byte header length")
        }
        var raw: UInt64 = 0
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<8])) }
        let headerLength = UInt64(littleEndian: raw)
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw CheckpointError(file: file, "header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        guard headerLength <= UInt64(maximumHeaderLength) else {
            throw CheckpointError(file: file, "header length \(headerLength) exceeds the format's limit of \(maximumHeaderLength) bytes")
        }
        let dataOffset = 8 + Int(headerLength)
        let dataSize = bytes.count - dataOffset
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataOffset])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw CheckpointError(file: file, "header is not a JSON object")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw CheckpointError(file: file, "header is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw CheckpointError(file: file, "header is not a JSON object")
        }

        var entries: [SafeTensorsEntry] = []
        entries.reserveCapacity(object.count)
        for (name, value) in object where name != "__metadata__" {
            entries.append(try entry(name: name, value: value, dataSize: dataSize, file: file))
        }
        if let metadata = object["__metadata__"], !(metadata is [String: Any]) {
            throw CheckpointError(file: file, "__metadata__ is not a JSON object")
        }

        // Tensors may not share bytes.
        entries.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name) }
        var furthest: SafeTensorsEntry?
        for entry in entries where !entry.dataRange.isEmpty {
            if let previous = furthest, entry.dataRange.lowerBound < previous.dataRange.upperBound {
                throw CheckpointError(file: file, "tensors '\(previous.name)' and '\(entry.name)' overlap in the data section")
            }
            if furthest == nil || entry.dataRange.upperBound > furthest!.dataRange.upperBound { furthest = entry }
        }
        return (entries, dataOffset)
    }

    private static func entry(name: String, value: Any, dataSize: Int, file: String) throws -> SafeTensorsEntry {
        guard let fields = value as? [String: Any] else {
            throw CheckpointError(file: file, "tensor '\(name)': entry is not a JSON object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw CheckpointError(file: file, "tensor '\(name)': missing dtype")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw CheckpointError(file: file, "tensor '\(name)': unsupported dtype \(dtypeName) (expected BF16, F16, F32 or I64)")
        }
        guard let shapeValues = fields["shape"] as? [Any] else {
            throw CheckpointError(file: file, "tensor '\(name)': missing shape")
        }
        var shape: [Int] = []
        var elementCount = 1
        for value in shapeValues {
            guard let dim = exactInteger(value), dim >= 0 else {
                throw CheckpointError(file: file, "tensor '\(name)': shape \(shapeValues) is not a list of non-negative integers")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Int(Int32.max) * 64 else {
                throw CheckpointError(file: file, "tensor '\(name)': shape \(shapeValues) is too large")
            }
            elementCount = product
            shape.append(dim)
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = exactInteger(offsets[0]), let end = exactInteger(offsets[1]) else {
            throw CheckpointError(file: file, "tensor '\(name)': data_offsets must be two integers")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw CheckpointError(file: file, "tensor '\(name)': data offsets [\(begin), \(end)] lie outside the data section (\(dataSize) bytes)")
        }
        guard end - begin == elementCount * dtype.byteWidth else {
            throw CheckpointError(file: file, "tensor '\(name)': \(end - begin) bytes of data for shape \(shape) of \(dtypeName) (\(elementCount * dtype.byteWidth) expected)")
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// An integer from a JSON number, refusing fractions, booleans and out-of-range values.
    static func exactInteger(_ value: Any) -> Int? {
        // On Linux `1 is Bool` holds for any NSNumber; JSON booleans are the ones typed "c".
        guard let number = value as? NSNumber else { return nil }
        let typeCode = String(cString: number.objCType)
        if typeCode == "c" || typeCode == "B" { return nil }
        if typeCode == "d" || typeCode == "f" {
            let d = number.doubleValue
            guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
            return Int(d)
        }
        if typeCode == "Q" {
            let u = number.uint64Value
            return u <= UInt64(Int.max) ? Int(u) : nil
        }
        return number.intValue
    }
}

/// One memory-mapped `.safetensors` file.
public final class SafeTensorsFile: TensorStore, @unchecked Sendable {
    public let file: MappedFile
    public let entries: [String: SafeTensorsEntry]
    private let dataOffset: Int

    public init(url: URL) throws {
        file = try MappedFile(url: url)
        let parsed = try SafeTensorsHeader.parse(file.bytes, file: url.path)
        dataOffset = parsed.dataOffset
        var byName: [String: SafeTensorsEntry] = [:]
        for entry in parsed.entries { byName[entry.name] = entry }
        entries = byName
    }

    public var location: String { file.url.path }
    public var tensorNames: [String] { entries.keys.sorted() }

    public func tensorIfPresent(_ name: String) -> StoredTensor? {
        guard let entry = entries[name] else { return nil }
        let range = (dataOffset + entry.dataRange.lowerBound)..<(dataOffset + entry.dataRange.upperBound)
        return StoredTensor(name: name, dtype: entry.dtype, shape: entry.shape,
                            bytes: UnsafeRawBufferPointer(rebasing: file.bytes[range]), storage: file)
    }
}

/// A Hugging Face model folder's weights: `model.safetensors`, or `model.safetensors.index.json`
/// with the shards it names. All files are memory-mapped; tensors are views into them.
public final class SafeTensorsCheckpoint: TensorStore, @unchecked Sendable {
    public let folder: URL
    public let shards: [SafeTensorsFile]
    private let shardOfTensor: [String: Int]

    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"

    public init(folder: URL) throws {
        self.folder = folder
        let fm = FileManager.default
        let indexURL = folder.appendingPathComponent(Self.indexFileName)
        let singleURL = folder.appendingPathComponent(Self.singleFileName)
        if fm.fileExists(atPath: indexURL.path) {
            let weightMap = try Self.readIndex(indexURL)
            var shardIndex: [String: Int] = [:]
            var files: [SafeTensorsFile] = []
            for shardName in Set(weightMap.values).sorted() {
                let shardURL = folder.appendingPathComponent(shardName)
                guard fm.fileExists(atPath: shardURL.path) else {
                    throw CheckpointError(url: shardURL, "shard named in \(Self.indexFileName) is missing")
                }
                shardIndex[shardName] = files.count
                files.append(try SafeTensorsFile(url: shardURL))
            }
            var owner: [String: Int] = [:]
            for (tensor, shardName) in weightMap {
                let i = shardIndex[shardName]!
                guard files[i].entries[tensor] != nil else {
                    throw CheckpointError(url: files[i].file.url, "tensor '\(tensor)' listed in \(Self.indexFileName) is not in this shard")
                }
                owner[tensor] = i
            }
            shards = files
            shardOfTensor = owner
        } else if fm.fileExists(atPath: singleURL.path) {
            let file = try SafeTensorsFile(url: singleURL)
            shards = [file]
            shardOfTensor = Dictionary(uniqueKeysWithValues: file.entries.keys.map { ($0, 0) })
        } else {
            throw CheckpointError(url: folder, "no \(Self.singleFileName) or \(Self.indexFileName) in this folder")
        }
    }

    private static func readIndex(_ url: URL) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError(url: url, "cannot read")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data), let object = json as? [String: Any] else {
            throw CheckpointError(url: url, "not valid JSON")
        }
        guard let map = object["weight_map"] as? [String: Any] else {
            throw CheckpointError(url: url, "no weight_map object")
        }
        var result: [String: String] = [:]
        for (tensor, value) in map {
            guard let shard = value as? String, !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw CheckpointError(url: url, "weight_map entry for '\(tensor)' is not a file name in this folder")
            }
            result[tensor] = shard
        }
        return result
    }

    public var location: String { folder.path }
    public var tensorNames: [String] { shardOfTensor.keys.sorted() }

    public func tensorIfPresent(_ name: String) -> StoredTensor? {
        guard let i = shardOfTensor[name] else { return nil }
        return shards[i].tensorIfPresent(name)
    }
}
