import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Block quantization of weight matrices at load (the kernels' q8, q6 and q4 formats, ckernels.h).
public enum Quantization {
    /// Bits per weight of a format (8, 6 or 4).
    public enum Format: Int, Sendable, CaseIterable {
        case q8 = 8
        case q6 = 6
        case q4 = 4

        public var name: String { "q\(rawValue)" }
    }

    /// Bytes a `[rows, cols]` matrix takes in `format` (scales included).
    public static func bytes(rows: Int, cols: Int, format: Format) -> Int {
        Matrix.QuantizedRows.bytes(rows: rows, cols: cols, format: format)
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
                case .q6: ck_quantize_q6_rows(tile, padded, r0, r1, data.assumingMemoryBound(to: UInt8.self))
                case .q4: ck_quantize_q4_rows(tile, padded, r0, r1, data.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        let rowsView = Matrix.QuantizedRows(data: UnsafeRawPointer(data), paddedCols: padded)
        return Matrix(rows: rows, cols: cols, elements: .quantized(rowsView, format), owner: owner)
    }

    /// Quantizes `source` into memory of its own.
    public static func quantize(_ source: Matrix, format: Format, pool: ThreadPool = .shared) -> Matrix {
        let storage = QuantizedStorage(bytes: bytes(rows: source.rows, cols: source.cols, format: format))
        return quantize(source, format: format, into: storage.base, owner: storage, pool: pool)
    }
}

/// Memory holding quantized weights: anonymous pages, in 2 MiB huge pages where the kernel gives them
/// (`MADV_HUGEPAGE`). The kernels stream these bytes with software prefetch far ahead; from the file's
/// 4 KiB pages a q4 decode step ran about 5% slower on two threads (1-7% on one).
public final class QuantizedStorage: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let count: Int
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int

    static let hugePage = 2 << 20

    /// Zeroed memory for `bytes` bytes.
    public init(bytes: Int) {
        count = bytes
        // Large blocks start on a huge-page boundary: map one huge page more and skip to it.
        let huge = bytes >= Self.hugePage
        mappedBytes = max(bytes, 1) + (huge ? Self.hugePage : 0)
        guard let mapped = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED else {
            fatalError("cannot allocate \(bytes) bytes for quantized weights")
        }
        mapping = mapped
        let address = Int(bitPattern: mapped)
        base = huge ? UnsafeMutableRawPointer(bitPattern: (address + Self.hugePage - 1) / Self.hugePage * Self.hugePage)! : mapped
        if huge { _ = madvise(base, bytes, MADV_HUGEPAGE) }  // a hint: without huge pages it still works
    }

    deinit { munmap(mapping, mappedBytes) }
}
