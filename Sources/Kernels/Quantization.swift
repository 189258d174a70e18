import CKernels

/// Block quantization of weight matrices at load (the kernels' q8 and q4 formats, ckernels.h).
public enum Quantization {
    /// Bits per weight of a format (8 or 4).
    public enum Format: Int, Sendable, CaseIterable {
        case q8 = 8
        case q4 = 4

        public var name: String { self == .q8 ? "q8" : "q4" }
    }

    /// Bytes a `[rows, cols]` matrix takes in `format` (scales included).
    public static func bytes(rows: Int, cols: Int, format: Format) -> Int {
        Matrix.QuantizedRows.bytes(rows: rows, cols: cols, bits: format.rawValue)
    }

    /// Quantizes `source` into the given zeroed memory (sized by `bytes`) and returns the quantized
    /// matrix, whose elements point there and which keeps `owner` alive. Rows are split over `pool`.
    public static func quantize(
        _ source: Matrix, format: Format, into data: UnsafeMutableRawPointer, owner: AnyObject, pool: ThreadPool = .shared
    ) -> Matrix {
        let rows = source.rows, cols = source.cols
        let padded = Matrix.QuantizedRows.paddedCols(for: cols)
        let tileRows = 64
        let tiles = (rows + tileRows - 1) / tileRows
        pool.split(tiles) { range in
            // One padded Float32 tile per task; loading is allowed to allocate.
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * padded)
            defer { tile.deallocate() }
            tile.initialize(repeating: 0, count: tileRows * padded)
            for t in range {
                let r0 = t * tileRows, r1 = min(rows, r0 + tileRows)
                for r in r0..<r1 {
                    source.copyRows(r..<r + 1, into: tile + (r - r0) * padded)
                }
                // Tiles start at even rows, so no two tasks share a pair of rows.
                switch format {
                case .q8: ck_quantize_q8_rows(tile, padded, r0, r1, data.assumingMemoryBound(to: Int8.self))
                case .q4: ck_quantize_q4_rows(tile, padded, r0, r1, data.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        let rowsView = Matrix.QuantizedRows(data: UnsafeRawPointer(data), paddedCols: padded)
        return Matrix(rows: rows, cols: cols, elements: format == .q8 ? .q8(rowsView) : .q4(rowsView), owner: owner)
    }

    /// Quantizes `source` into memory of its own.
    public static func quantize(_ source: Matrix, format: Format, pool: ThreadPool = .shared) -> Matrix {
        let storage = QuantizedStorage(bytes: bytes(rows: source.rows, cols: source.cols, format: format))
        return quantize(source, format: format, into: storage.base, owner: storage, pool: pool)
    }
}

/// Heap bytes holding quantized weights.
public final class QuantizedStorage: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let count: Int

    public init(bytes: Int) {
        count = bytes
        base = .allocate(byteCount: max(bytes, 1), alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: max(bytes, 1))
    }

    deinit { base.deallocate() }
}
