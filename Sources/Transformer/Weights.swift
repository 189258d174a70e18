import Foundation
import Checkpoint
import Kernels

/// Reads named tensors of a checkpoint as the kernels' weight types.
///
/// Matrices stay in the mapping in their stored precision (bf16, f16 or f32, converted as the kernels read
/// them); only a tensor whose bytes are misaligned for its element type is copied. Vectors (norm weights)
/// are small and are converted to Float32 once.
struct WeightReader {
    let store: TensorStore
    /// Matrices already quantized (by name), used instead of the stored ones.
    var quantized: [String: Matrix] = [:]

    func matrix(_ name: String, rows: Int, cols: Int) throws -> Matrix {
        if let q = quantized[name] { return q }
        let tensor = try store.tensor(name, shape: [rows, cols])
        guard let base = tensor.bytes.baseAddress else {
            return Matrix(rows: rows, cols: cols, values: [Float](repeating: 0, count: rows * cols))
        }
        let aligned = Int(bitPattern: base) % tensor.dtype.byteWidth == 0
        switch tensor.dtype {
        case .bf16 where aligned:
            return Matrix(rows: rows, cols: cols, elements: .bf16(base.assumingMemoryBound(to: UInt16.self)), owner: store)
        case .f16 where aligned:
            return Matrix(rows: rows, cols: cols, elements: .f16(base.assumingMemoryBound(to: UInt16.self)), owner: store)
        case .f32 where aligned:
            return Matrix(rows: rows, cols: cols, elements: .f32(base.assumingMemoryBound(to: Float.self)), owner: store)
        case .bf16, .f16, .f32:
            return Matrix(rows: rows, cols: cols, values: tensor.floats())
        case .i64:
            throw CheckpointError(file: store.location, "tensor '\(name)' is \(tensor.dtype.rawValue), expected a floating-point type")
        }
    }

    func vector(_ name: String, count: Int) throws -> FloatBuffer {
        let tensor = try store.tensor(name, shape: [count])
        guard tensor.dtype.isFloatingPoint else {
            throw CheckpointError(file: store.location, "tensor '\(name)' is \(tensor.dtype.rawValue), expected a floating-point type")
        }
        return FloatBuffer(tensor.floats())
    }
}
