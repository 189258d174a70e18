import CCodecKernels
import Dispatch
import Kernels

/// Weights packed for the C product kernels (8 rows at a time), and the calls that split a
/// product's 32-column panels across the cores.
final class PackedRows: @unchecked Sendable {
    let rows: Int
    let columns: Int
    let values: FloatBuffer

    /// Packs a row-major `[rows, columns]` matrix; nil unless `rows` is a multiple of 8.
    init?(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int) {
        guard rows % 8 == 0, rows > 0, columns > 0 else { return nil }
        self.rows = rows
        self.columns = columns
        values = FloatBuffer(count: rows * columns)
        codec_pack_rows(matrix, columns, rows, columns, values.pointer)
    }

    static let panel = 32

    /// Runs `body(panels, rows, scratch)` over `panels` and `rows` (a multiple of `block`), split across
    /// the cores when `work` (multiply-adds) is worth it: by panels when they share out evenly, otherwise
    /// by blocks of rows (a streaming decode's first layers see a few frames through hundreds of
    /// channels: one panel). Each call of `body` gets its own `scratchFloats` of scratch, 64-byte aligned.
    ///
    /// With four parts or more a thread, the parts are handed out as the threads run (`runRows`) rather than
    /// halved up front: cores do not keep the same pace (on a shared host, a neighbour's work slows one), and
    /// a fixed half left the faster one waiting for the other.
    static func parallel(panels: Int, rows: Int, block: Int = 8, work: Int, scratchFloats: Int,
                         _ body: (Range<Int>, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let threads = work >= 1 << 18 ? ThreadCount.current : 1
        let byPanels = panels >= 4 * threads || panels % threads == 0 || rows / block < threads
        let parts = byPanels ? panels : rows / block
        func run(_ range: Range<Int>) {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(scratchFloats, 1) * 4, alignment: 64)
            defer { raw.deallocate() }
            let scratch = raw.bindMemory(to: Float.self, capacity: max(scratchFloats, 1))
            if byPanels {
                body(range, 0..<rows, scratch)
            } else {
                body(0..<panels, range.lowerBound * block..<range.upperBound * block, scratch)
            }
        }
        if threads <= 1 {
            run(0..<parts)
        } else if parts >= 4 * threads {
            ThreadPool.shared.runRows(parts, granule: 1, run)
        } else {
            ThreadPool.shared.split(parts, run)
        }
    }

    /// `y[o, t] = bias[o] + Σ_{c,j} w[o, c, j] · x[c, t·stride + j·dilation]` for `t < count` (added to
    /// y's samples with `accumulate`; x through snake with `snakeAlpha`), these rows being the
    /// weight `[out, in·kernel]`.
    func convolve(inChannels: Int, kernel: Int, stride: Int, dilation: Int, x: UnsafePointer<Float>, ldx: Int,
                  y: UnsafeMutablePointer<Float>, ldy: Int, count: Int, bias: UnsafePointer<Float>?, accumulate: Bool = false,
                  snakeAlpha: UnsafePointer<Float>? = nil) {
        guard count > 0 else { return }
        let panels = (count + Self.panel - 1) / Self.panel
        Self.parallel(panels: panels, rows: rows, work: rows * columns * count, scratchFloats: columns * Self.panel) { panels, rows, scratch in
            codec_conv_panels(values.pointer + rows.lowerBound * columns, rows.count, inChannels, kernel, stride, dilation,
                              x, ldx, y + rows.lowerBound * ldy, ldy, count, bias.map { $0 + rows.lowerBound },
                              accumulate ? 1 : 0, snakeAlpha, panels.lowerBound, panels.upperBound, scratch)
        }
    }
}

/// Weights packed for AMX tiles (bf16 parts hi and lo), for stride-1 convolutions whose output rows and
/// input channels come in 32s, on CPUs that have the tiles (see `codec_conv_amx`).
final class TileRows: @unchecked Sendable {
    let rows: Int
    let inChannels: Int
    let kernel: Int
    let dilation: Int
    private let values: UnsafeMutablePointer<UInt16>

    /// Packs `weight` `[rows, inChannels, kernel]`; nil where the tiles cannot take it.
    init?(_ weight: UnsafePointer<Float>, rows: Int, inChannels: Int, kernel: Int, dilation: Int) {
        guard ThreadPool.hasTiles, rows % 32 == 0, inChannels % 32 == 0, rows > 0, inChannels > 0 else { return nil }
        self.rows = rows
        self.inChannels = inChannels
        self.kernel = kernel
        self.dilation = dilation
        let values = UnsafeMutablePointer<UInt16>.allocate(capacity: codec_amx_packed_count(rows, inChannels, kernel))
        self.values = values
        // Blocks of 32 rows pack on their own: they share out over the pool (a tokenizer's encoder side
        // packs about 100 million weights as it loads).
        let perBlock = codec_amx_packed_count(32, inChannels, kernel)
        SignalKernels.parallel(rows: rows / 32, work: rows * inChannels * kernel) { first, end in
            codec_amx_pack(weight + first * 32 * inChannels * kernel, (end - first) * 32, inChannels, kernel,
                           values + first * perBlock)
        }
    }

    deinit { values.deallocate() }

    /// Positions the tile kernel takes at once.
    static let panel = 128

    /// `y[o, t] = bias[o] + Σ_{c,j} w[o, c, j] · x[c, t + j·dilation]` for `t < count`, as `PackedRows.convolve`.
    func convolve(x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>, ldy: Int, count: Int,
                  bias: UnsafePointer<Float>?, accumulate: Bool, snakeAlpha: UnsafePointer<Float>?) {
        guard count > 0 else { return }
        let panels = (count + Self.panel - 1) / Self.panel
        let scratch = (codec_amx_scratch_bytes(inChannels, kernel, dilation) + 3) / 4
        PackedRows.parallel(panels: panels, rows: rows, block: 32, work: rows * inChannels * kernel * count,
                            scratchFloats: scratch) { panels, rows, scratch in
            codec_conv_amx(values, inChannels, kernel, dilation, x, ldx, y, ldy, count, bias, accumulate ? 1 : 0,
                           snakeAlpha, panels.lowerBound, panels.upperBound, rows.lowerBound, rows.upperBound, scratch)
        }
    }
}
