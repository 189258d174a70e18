import CKernels
import Foundation

/// A weight matrix `[rows, cols]`, row-major, in the precision it is stored in.
///
/// Rows are output features and columns input features, as in a PyTorch `nn.Linear` weight,
/// so `y = W x` reads one row per output. The elements are not owned: `owner` keeps the memory
/// mapping or buffer behind them alive.
public struct Matrix: @unchecked Sendable {
    public enum Elements {
        case f32(UnsafePointer<Float>)
        case bf16(UnsafePointer<UInt16>)
        case f16(UnsafePointer<UInt16>)
        /// Blocks of 8, 6 or 4 bits (see `QuantizedRows`).
        case quantized(QuantizedRows, Quantization.Format)
    }

    /// Block-quantized rows in the kernels' layout (ckernels.h): every row padded with zeros to
    /// `paddedCols` (a multiple of `QuantizedRows.group`), one f16 scale per 32 columns, rows in
    /// pairs with their scales inline.
    public struct QuantizedRows {
        /// Columns a group of the layout spans; rows are padded to a multiple of it.
        public static let group = Int(CK_GROUP)
        public static let block = Int(CK_BLOCK)

        public let data: UnsafeRawPointer
        public let paddedCols: Int

        public init(data: UnsafeRawPointer, paddedCols: Int) {
            self.data = data
            self.paddedCols = paddedCols
        }

        public static func paddedCols(for cols: Int) -> Int { (cols + group - 1) / group * group }

        /// Bytes `rows` rows in `format` take, scales included.
        public static func bytes(rows: Int, cols: Int, format: Quantization.Format) -> Int {
            let padded = paddedCols(for: cols)
            switch format {
            case .q8: return ck_q8_bytes(rows, padded)
            case .q6: return ck_q6_bytes(rows, padded)
            case .q4: return ck_q4_bytes(rows, padded)
            }
        }

        /// The rows from `start` on: rows are stored in pairs, so a view starts at an even row.
        func offset(rows start: Int, format: Quantization.Format) -> QuantizedRows {
            precondition(start % 2 == 0, "a quantized view must start at an even row")
            return QuantizedRows(data: data + Self.bytes(rows: start, cols: paddedCols, format: format), paddedCols: paddedCols)
        }

        var q8: ck_q8_matrix { ck_q8_matrix(data: data.assumingMemoryBound(to: Int8.self)) }
        var q6: ck_q6_matrix { ck_q6_matrix(data: data.assumingMemoryBound(to: UInt8.self)) }
        var q4: ck_q4_matrix { ck_q4_matrix(data: data.assumingMemoryBound(to: UInt8.self)) }

        /// Rows [begin, end) back to Float32: the first `valid` columns of each into `out`.
        func dequantize(_ format: Quantization.Format, valid: Int, rows range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
            let (r0, r1) = (range.lowerBound, range.upperBound)
            switch format {
            case .q8: ck_dequantize_q8_rows(q8, paddedCols, valid, r0, r1, out)
            case .q6: ck_dequantize_q6_rows(q6, paddedCols, valid, r0, r1, out)
            case .q4: ck_dequantize_q4_rows(q4, paddedCols, valid, r0, r1, out)
            }
        }

        /// `y[r] = dot(row r, x)` for rows [begin, end) with the input quantized once (`vector`).
        func matrixVector(_ format: Quantization.Format, _ vector: UnsafePointer<ck_q8_vector>, _ y: UnsafeMutablePointer<Float>,
                          rows range: Range<Int>) {
            let (r0, r1) = (range.lowerBound, range.upperBound)
            switch format {
            case .q8: ck_matvec_q8(q8, vector, y, paddedCols, r0, r1)
            case .q6: ck_matvec_q6(q6, vector, y, paddedCols, r0, r1)
            case .q4: ck_matvec_q4(q4, vector, y, paddedCols, r0, r1)
            }
        }

        /// The same for `count` inputs at once: `y[i * ldy + r]`.
        func matrixMatrix(_ format: Quantization.Format, _ vectors: UnsafePointer<ck_q8_vector>, count: Int,
                          _ y: UnsafeMutablePointer<Float>, ldy: Int, rows range: Range<Int>) {
            let (r0, r1) = (range.lowerBound, range.upperBound)
            switch format {
            case .q8: ck_matmul_q8(q8, vectors, count, y, ldy, paddedCols, r0, r1)
            case .q6: ck_matmul_q6(q6, vectors, count, y, ldy, paddedCols, r0, r1)
            case .q4: ck_matmul_q4(q4, vectors, count, y, ldy, paddedCols, r0, r1)
            }
        }

        /// The same on AMX tiles, the inputs quantized by `ck_quantize_rows` (`quants`, `scales`); rows in 16s.
        func tileProduct(_ format: Quantization.Format, quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>, count: Int,
                         _ y: UnsafeMutablePointer<Float>, ldy: Int, rows range: Range<Int>) {
            let (r0, r1) = (range.lowerBound, range.upperBound)
            switch format {
            case .q8: ck_matmul_q8_amx(q8, paddedCols, quants, scales, count, y, ldy, r0, r1)
            case .q6: ck_matmul_q6_amx(q6, paddedCols, quants, scales, count, y, ldy, r0, r1)
            case .q4: ck_matmul_q4_amx(q4, paddedCols, quants, scales, count, y, ldy, r0, r1)
            }
        }
    }

    public let rows: Int
    public let cols: Int
    public let elements: Elements
    let owner: AnyObject?

    public init(rows: Int, cols: Int, elements: Elements, owner: AnyObject?) {
        self.rows = rows
        self.cols = cols
        self.elements = elements
        self.owner = owner
    }

    /// A matrix over Float32 values it owns.
    public init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols)
        let box = FloatBuffer(values)
        self.init(rows: rows, cols: cols, elements: .f32(UnsafePointer(box.pointer)), owner: box)
    }

    /// The rows `range` as a matrix of their own (no copy).
    public func rows(_ range: Range<Int>) -> Matrix {
        let offset = range.lowerBound * cols
        switch elements {
        case .f32(let p): return Matrix(rows: range.count, cols: cols, elements: .f32(p + offset), owner: owner)
        case .bf16(let p): return Matrix(rows: range.count, cols: cols, elements: .bf16(p + offset), owner: owner)
        case .f16(let p): return Matrix(rows: range.count, cols: cols, elements: .f16(p + offset), owner: owner)
        case .quantized(let q, let format):
            return Matrix(rows: range.count, cols: cols, elements: .quantized(q.offset(rows: range.lowerBound, format: format), format), owner: owner)
        }
    }

    /// Converts rows `range` to Float32 into `destination` (`range.count * cols` floats).
    public func copyRows(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let offset = range.lowerBound * cols
        let n = range.count * cols
        switch elements {
        case .f32(let p): destination.update(from: p + offset, count: n)
        case .bf16(let p): Convert.bf16ToFloat(p + offset, destination, count: n)
        case .f16(let p): Convert.f16ToFloat(p + offset, destination, count: n)
        case .quantized(let q, let format): q.dequantize(format, valid: cols, rows: range, into: destination)
        }
    }

    /// One row as Float32 values.
    public func row(_ index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: cols) { buffer, count in
            copyRows(index..<index + 1, into: buffer.baseAddress!)
            count = cols
        }
    }

    /// Bytes one full read of the matrix touches.
    public var byteCount: Int {
        switch elements {
        case .f32: return rows * cols * 4
        case .bf16, .f16: return rows * cols * 2
        case .quantized(_, let format): return QuantizedRows.bytes(rows: rows, cols: cols, format: format)
        }
    }

    /// The precision the elements are stored in, for messages and benchmarks.
    public var precisionName: String {
        switch elements {
        case .f32: return "f32"
        case .bf16: return "bf16"
        case .f16: return "f16"
        case .quantized(_, let format): return format.name
        }
    }
}

/// A heap buffer of floats with a stable address, for state that kernels write in place.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [Float] { Array(buffer) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    deinit { pointer.deallocate() }
}
