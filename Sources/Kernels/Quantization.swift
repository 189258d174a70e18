import CKernels

/// Block quantization of weight matrices at load (the kernels' q8 and q4 formats, ckernels.h).
public enum Quantization {
    /// Bits per weight of a format (8 or 4).
    public enum Format: Int, Sendable, CaseIterable {
        case q8 = 8
        case q4 = 4

        public var name: String { self == .q8 ? "q8" : "q4" }
    }

    /// Bytes of quants and scales `matrix` takes in `format`.
    public static func sizes(rows: Int, cols: Int, format: Format) -> (quants: Int, scales: Int) {
        Matrix.QuantizedRows.sizes(rows: rows, cols: cols, bits: format.rawValue)
    }

    /// Quantizes `source` into the given memory (sized by `sizes`) and returns the quantized matrix,
    /// whose elements point there and which keeps `owner` alive. Rows are split over `pool`.
    public static func quantize(
        _ source: Matrix, format: Format, quants: UnsafeMutableRawPointer, scales: UnsafeMutablePointer<UInt16>,
        owner: AnyObject, pool: ThreadPool = .shared
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
                switch format {
                case .q8:
                    ck_quantize_q8_rows(tile, padded, 0, r1 - r0, quants.assumingMemoryBound(to: Int8.self) + r0 * padded,
                                        scales + r0 * padded / Int(CK_BLOCK))
                case .q4:
                    ck_quantize_q4_rows(tile, padded, r0, r1, quants.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        let rowsView = Matrix.QuantizedRows(quants: UnsafeRawPointer(quants), scales: scales, paddedCols: padded)
        return Matrix(rows: rows, cols: cols, elements: format == .q8 ? .q8(rowsView) : .q4(rowsView), owner: owner)
    }

    /// Quantizes `source` into memory of its own.
    public static func quantize(_ source: Matrix, format: Format, pool: ThreadPool = .shared) -> Matrix {
        let size = sizes(rows: source.rows, cols: source.cols, format: format)
        let storage = QuantizedStorage(bytes: size.quants + size.scales)
        return quantize(source, format: format, quants: storage.base,
                        scales: (storage.base + size.quants).assumingMemoryBound(to: UInt16.self), owner: storage, pool: pool)
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
