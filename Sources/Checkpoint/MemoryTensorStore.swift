import Foundation

/// Tensors held in memory under their names: for benchmarks and tests that build a checkpoint
/// in the published layout without writing it to disk.
public final class MemoryTensorStore: TensorStore, @unchecked Sendable {
    public let location: String
    private var tensors: [String: StoredTensor] = [:]

    public init(location: String) {
        self.location = location
    }

    public var tensorNames: [String] { tensors.keys.sorted() }

    public func tensorIfPresent(_ name: String) -> StoredTensor? { tensors[name] }

    /// Adds (or replaces) a float32 tensor.
    public func add(_ name: String, shape: [Int], floats: [Float]) {
        precondition(floats.count == shape.reduce(1, *), "tensor \(name): \(floats.count) values for shape \(shape)")
        let buffer = AlignedBytes(count: floats.count * 4)
        floats.withUnsafeBytes { if let base = $0.baseAddress { buffer.pointer.copyMemory(from: base, byteCount: $0.count) } }
        tensors[name] = StoredTensor(name: name, dtype: .f32, shape: shape, bytes: buffer.bytes, storage: buffer)
    }
}
