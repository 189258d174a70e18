import Foundation

/// Element types a checkpoint may store.
public enum DType: String, Sendable, CaseIterable {
    case bf16 = "BF16"
    case f16 = "F16"
    case f32 = "F32"
    case i64 = "I64"

    public var byteWidth: Int {
        switch self {
        case .bf16, .f16: return 2
        case .f32: return 4
        case .i64: return 8
        }
    }

    public var isFloatingPoint: Bool { self != .i64 }
}

/// A tensor as it lies in a checkpoint file: dtype, shape and a view of its bytes (row-major,
/// contiguous, little-endian). The view stays valid while `storage` (the mapping or archive
/// buffer it points into) is alive, and the tensor keeps that alive.
public struct StoredTensor: @unchecked Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let bytes: UnsafeRawBufferPointer
    let storage: AnyObject

    public init(name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer, storage: AnyObject) {
        precondition(bytes.count == shape.reduce(1, *) * dtype.byteWidth, "tensor \(name): byte count does not match shape")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
        self.storage = storage
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Lets the memory behind a memory-mapped tensor go once it has been converted (no effect otherwise).
    public func releasePages() {
        (storage as? MappedFile)?.releasePages(of: bytes)
    }

    /// Converts the elements to Float32 into `destination` (which holds `elementCount` floats).
    public func copyFloats(into destination: UnsafeMutablePointer<Float>) {
        let n = elementCount
        guard n > 0, let base = bytes.baseAddress else { return }
        switch dtype {
        case .f32:
            // Unaligned-safe copy: safetensors data offsets need not be 4-byte aligned.
            UnsafeMutableRawPointer(destination).copyMemory(from: base, byteCount: n * 4)
        case .bf16:
            for i in 0..<n {
                let bits = UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16
                destination[i] = Float(bitPattern: bits)
            }
        case .f16:
            for i in 0..<n {
                destination[i] = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .i64:
            for i in 0..<n {
                destination[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
            }
        }
    }

    /// All elements as Float32 (a copy).
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: elementCount) { buffer, count in
            if let p = buffer.baseAddress { copyFloats(into: p) }
            count = elementCount
        }
    }

    /// All elements as Int64 (for integer tensors; floating tensors are truncated).
    public func integers() -> [Int64] {
        guard let base = bytes.baseAddress else { return [] }
        if dtype == .i64 {
            return (0..<elementCount).map { base.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
        }
        return floats().map { Int64($0) }
    }
}

/// Something that holds named tensors: a safetensors checkpoint, a torch archive.
public protocol TensorStore: AnyObject {
    /// Where the tensors come from, for messages (a folder or a file).
    var location: String { get }
    var tensorNames: [String] { get }
    func tensorIfPresent(_ name: String) -> StoredTensor?
}

extension TensorStore {
    /// The named tensor, or an error naming the checkpoint and the tensor.
    public func tensor(_ name: String) throws -> StoredTensor {
        guard let t = tensorIfPresent(name) else {
            throw CheckpointError(file: location, "missing tensor '\(name)'")
        }
        return t
    }

    /// The named tensor, checked to have `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> StoredTensor {
        let t = try tensor(name)
        guard t.shape == shape else {
            throw CheckpointError(file: location, "tensor '\(name)' has shape \(t.shape), expected \(shape)")
        }
        return t
    }

    /// Compares the stored tensors with the `expected` names and shapes and throws one error
    /// listing every missing, unexpected and misshaped tensor by name.
    public func verify(expected: [String: [Int]]) throws {
        let stored = Set(tensorNames)
        var problems: [String] = []
        let missing = expected.keys.filter { !stored.contains($0) }.sorted()
        if !missing.isEmpty { problems.append("missing tensors: " + Self.list(missing)) }
        let unexpected = stored.filter { expected[$0] == nil }.sorted()
        if !unexpected.isEmpty { problems.append("unexpected tensors: " + Self.list(unexpected)) }
        var misshaped: [String] = []
        for name in expected.keys.sorted() where stored.contains(name) {
            if let t = tensorIfPresent(name), t.shape != expected[name]! {
                misshaped.append("\(name) is \(t.shape), expected \(expected[name]!)")
            }
        }
        if !misshaped.isEmpty { problems.append("misshaped tensors: " + Self.list(misshaped)) }
        if !problems.isEmpty {
            throw CheckpointError(file: location, problems.joined(separator: "; "))
        }
    }

    private static func list(_ items: [String]) -> String {
        let shown = items.prefix(8).joined(separator: ", ")
        return items.count > 8 ? "\(shown) and \(items.count - 8) more" : shown
    }
}
