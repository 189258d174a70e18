import Foundation
import ZIPFoundation

/// Writes a state dict the way `torch.save` does (a protocol-2 pickle of an OrderedDict of
/// `_rebuild_tensor_v2` calls, one uncompressed 64-byte-aligned zip entry per storage), so that
/// benchmarks and fuzzing can make full-size or mutated checkpoints without Python.
/// `torch.load` reads the result.
public struct TorchArchiveWriter {
    public struct Tensor {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Little-endian element bytes, row-major.
        public var bytes: Data

        public init(name: String, dtype: DType, shape: [Int], bytes: Data) {
            precondition(bytes.count == shape.reduce(1, *) * dtype.byteWidth, "tensor \(name): byte count does not match shape")
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        public init(name: String, shape: [Int], floats: [Float]) {
            self.init(name: name, dtype: .f32, shape: shape, bytes: floats.withUnsafeBytes { Data($0) })
        }
    }

    /// The archive's bytes; `archiveName` is the top folder inside the zip (torch uses the file's stem).
    public static func archive(_ tensors: [Tensor], archiveName: String = "archive") -> Data {
        zip(pickle: pickle(tensors), storages: tensors.map(\.bytes), archiveName: archiveName)
    }

    /// The zip around a pickle and its storages, named `data/0`, `data/1`, ... in order.
    public static func zip(pickle: Data, storages: [Data], archiveName: String = "archive") -> Data {
        var zip = ZipBuilder()
        zip.add(archiveName + "/data.pkl", pickle)
        zip.add(archiveName + "/byteorder", Data("little".utf8))
        for (index, bytes) in storages.enumerated() {
            zip.add(archiveName + "/data/\(index)", bytes)
        }
        zip.add(archiveName + "/version", Data("3\n".utf8))
        return zip.finish()
    }

    public static func write(_ tensors: [Tensor], to url: URL) throws {
        let name = url.deletingPathExtension().lastPathComponent
        do {
            try archive(tensors, archiveName: name.isEmpty ? "archive" : name).write(to: url, options: .atomic)
        } catch {
            throw CheckpointError(url: url, "cannot write (\(error.localizedDescription))")
        }
    }

    static func storageClass(_ dtype: DType) -> String {
        switch dtype {
        case .f32: return "FloatStorage"
        case .f16: return "HalfStorage"
        case .bf16: return "BFloat16Storage"
        case .i64: return "LongStorage"
        }
    }

    /// The pickle torch writes for a state dict (without the `_metadata` attribute, which is optional);
    /// tensor `i` views storage `data/i` from its start.
    public static func pickle(_ tensors: [Tensor]) -> Data {
        var p = Data([0x80, 0x02])
        func global(_ module: String, _ name: String) { p.append(0x63); p.append(contentsOf: Array("\(module)\n\(name)\n".utf8)) }
        func string(_ s: String) {
            let utf8 = Array(s.utf8)
            p.append(0x58)
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { p.append(contentsOf: $0) }
            p.append(contentsOf: utf8)
        }
        func int(_ v: Int) {
            if v >= 0, v < 256 { p.append(contentsOf: [0x4B, UInt8(v)]) } else if v >= Int(Int32.min), v <= Int(Int32.max) {
                p.append(0x4A)
                withUnsafeBytes(of: Int32(v).littleEndian) { p.append(contentsOf: $0) }
            } else {
                p.append(contentsOf: [0x8A, 8])
                withUnsafeBytes(of: Int64(v).littleEndian) { p.append(contentsOf: $0) }
            }
        }
        func intTuple(_ values: [Int]) { p.append(0x28); values.forEach(int); p.append(0x74) }

        global("collections", "OrderedDict")
        p.append(contentsOf: [0x71, 0])  // BINPUT 0
        p.append(contentsOf: [0x29, 0x52])  // EMPTY_TUPLE REDUCE
        p.append(0x28)  // MARK for SETITEMS
        for (index, tensor) in tensors.enumerated() {
            string(tensor.name)
            global("torch._utils", "_rebuild_tensor_v2")
            p.append(0x28)  // MARK: arguments
            p.append(0x28)  // MARK: persistent id
            string("storage")
            global("torch", storageClass(tensor.dtype))
            string("\(index)")
            string("cpu")
            int(tensor.shape.reduce(1, *))
            p.append(contentsOf: [0x74, 0x51])  // TUPLE BINPERSID
            int(0)
            intTuple(tensor.shape)
            var strides = [Int](repeating: 1, count: tensor.shape.count)
            for d in stride(from: tensor.shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * tensor.shape[d + 1] }
            intTuple(strides)
            p.append(0x89)  // NEWFALSE: requires_grad
            p.append(contentsOf: [0x68, 0, 0x29, 0x52])  // OrderedDict(): backward hooks
            p.append(contentsOf: [0x74, 0x52])  // TUPLE REDUCE
        }
        p.append(contentsOf: [0x75, 0x2E])  // SETITEMS STOP
        return p
    }
}

/// A zip file of stored entries whose data start on 64-byte boundaries, as torch writes them.
private struct ZipBuilder {
    private var out = Data()
    private var central = Data()
    private var count = 0

    private static func put16(_ v: Int, _ d: inout Data) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
    private static func put32(_ v: Int, _ d: inout Data) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }

    mutating func add(_ name: String, _ data: Data) {
        let nameBytes = Array(name.utf8)
        let offset = out.count
        let headerEnd = offset + 30 + nameBytes.count
        // A padding extra field (id 0xFFFF, torch's choice too) moves the data to the next 64-byte boundary.
        let padding = (64 - (headerEnd + 4) % 64) % 64
        let extraLength = 4 + padding
        let crc = Int(data.crc32(checksum: 0))
        func header(_ d: inout Data, central: Bool) {
            Self.put32(central ? 0x0201_4B50 : 0x0403_4B50, &d)
            if central { Self.put16(20, &d) }
            Self.put16(20, &d)  // version needed
            Self.put16(0, &d)  // flags
            Self.put16(0, &d)  // stored
            Self.put16(0, &d); Self.put16(0x21, &d)  // time, date
            Self.put32(crc, &d)
            Self.put32(data.count, &d); Self.put32(data.count, &d)
            Self.put16(nameBytes.count, &d)
            Self.put16(central ? 0 : extraLength, &d)
            if central {
                Self.put16(0, &d); Self.put16(0, &d); Self.put16(0, &d); Self.put32(0, &d)
                Self.put32(offset, &d)
            }
            d.append(contentsOf: nameBytes)
        }
        header(&out, central: false)
        Self.put16(0xFFFF, &out)
        Self.put16(padding, &out)
        out.append(Data(count: padding))
        out.append(data)
        header(&central, central: true)
        count += 1
    }

    mutating func finish() -> Data {
        let directoryOffset = out.count
        out.append(central)
        Self.put32(0x0605_4B50, &out)
        Self.put16(0, &out); Self.put16(0, &out)
        Self.put16(count, &out); Self.put16(count, &out)
        Self.put32(central.count, &out)
        Self.put32(directoryOffset, &out)
        Self.put16(0, &out)
        return out
    }
}
