import CKernels

/// `y = x W^T`: the product of a batch of row vectors with a weight matrix of any storage precision.
public enum Linear {
    /// Rows of a weight converted to Float32 at a time in the batched path.
    static let tileRows = 256

    /// The smallest batch that takes quantized weights to the AMX tiles: the weights are unpacked into tiles
    /// for every product, which smaller batches do not repay (one thread's q6 product of 3072 x 3072 took as
    /// long as with the VNNI kernels at 16 positions, a fifth less time at 32, two fifths less at 64).
    static let quantizedTileBatch = 32

    /// The largest batch of half-precision weights (off the AMX tiles) that runs one row at a time through
    /// the matrix-vector kernels: converting the weight to Float32 tiles for sgemm writes a full copy per
    /// product, which a few rows do not repay. A step of two generations together took 11 times one's
    /// time that way with bf16 weights (`higgs bench model --together 2`, development VM with AMX off);
    /// the conversion costs about ten rows' matrix-vector products.
    static let rowByRowBatch = 8

    /// Computes `output[t, r] = sum_c input[t, c] * weight[r, c]` for `t < count`.
    ///
    /// - input: `[count, weight.cols]`, row-major.
    /// - output: `[count, weight.rows]`, row-major.
    /// - scratch: at least `scratchCount(weight, count)` floats. Without it the call allocates, so the
    ///   model's hot loops always pass one.
    ///
    /// One row is a matrix-vector product read straight from the stored precision (the hand-written
    /// kernels of CKernels, split over the thread pool); several rows go through OpenBLAS sgemm,
    /// converting the weight a tile at a time so no full Float32 copy is made, or for bf16 weights on a CPU
    /// with AMX through its tiles, and for quantized weights through the integer kernels (on AMX's int8 tiles
    /// where the machine has them).
    public static func apply(
        _ weight: Matrix, input: UnsafePointer<Float>, count: Int,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>? = nil
    ) {
        guard count > 0, weight.rows > 0 else { return }
        let needed = scratchCount(weight, count: count)
        let work = needed == 0 ? nil : (scratch ?? UnsafeMutablePointer<Float>.allocate(capacity: needed))
        defer { if scratch == nil, let work { work.deallocate() } }
        if count == 1 {
            matrixVector(weight, input, output, scratch: work)
            return
        }
        switch weight.elements {
        case .f32(let w):
            BLAS.gemm(transposeB: true, m: count, n: weight.rows, k: weight.cols,
                      a: input, lda: weight.cols, b: w, ldb: weight.cols, c: output, ldc: weight.rows)
            return
        case .quantized where count >= quantizedTileBatch && onTiles(weight):
            quantizedTileProduct(weight, input: input, count: count, output: output, scratch: work!)
            return
        case .quantized:
            quantizedProduct(weight, input: input, count: count, output: output, scratch: work!)
            return
        case .bf16(let w) where onTiles(weight):
            tileProduct(w, rows: weight.rows, cols: weight.cols, input: input, count: count, output: output, scratch: work!)
            return
        case .bf16 where count <= rowByRowBatch, .f16 where count <= rowByRowBatch:
            for t in 0..<count {
                matrixVector(weight, input + t * weight.cols, output + t * weight.rows, scratch: work)
            }
            return
        case .bf16, .f16:
            break
        }
        let tile = work!
        var start = 0
        while start < weight.rows {
            let end = min(start + tileRows, weight.rows)
            weight.copyRows(start..<end, into: tile)
            BLAS.gemm(transposeB: true, m: count, n: end - start, k: weight.cols,
                      a: input, lda: weight.cols, b: tile, ldb: weight.cols, c: output + start, ldc: weight.rows)
            start = end
        }
    }

    /// Floats of scratch `apply` needs for this weight and batch size: a weight tile for batches of
    /// low-precision weights, the quantized input vector for one row against quantized weights.
    public static func scratchCount(_ weight: Matrix, count: Int) -> Int {
        switch weight.elements {
        case .f32:
            return 0
        case .bf16, .f16:
            // Either path's, so the size holds whichever a call takes.
            return count <= 1 ? 0 : max(min(tileRows, weight.rows) * weight.cols, tileScratchCount(cols: weight.cols, count: count))
        case .quantized(let q, _):
            if count == 1 { return QuantizedInput.floats(paddedCols: q.paddedCols) }
            return max(QuantizedInput.descriptorFloats(count) + count * QuantizedInput.floats(paddedCols: q.paddedCols),
                       TileInputs.floats(paddedCols: q.paddedCols, count: count))
        }
    }

    /// Whether a batch against these weights runs on AMX tiles: where the machine has them, for bf16 weights
    /// (`ck_matmul_bf16_amx`) with widths and row counts in whole tiles of 32, and for quantized ones
    /// (`ck_matmul_q8_amx`...) with rows in 16s: every matrix of the published model.
    public static func onTiles(_ weight: Matrix) -> Bool {
        guard ck_amx() != 0 else { return false }
        switch weight.elements {
        case .bf16: return weight.rows % 32 == 0 && weight.cols % 32 == 0
        case .quantized: return weight.rows % 16 == 0
        case .f32, .f16: return false
        }
    }

    /// Floats of scratch the tile path needs: the three bf16 parts of the inputs in whole blocks of 16, and
    /// room to align them to 64 bytes.
    static func tileScratchCount(cols: Int, count: Int) -> Int {
        ((count + 15) / 16 * 16 * cols * 3 + 1) / 2 + 16
    }

    /// bf16 weights times several inputs on AMX tiles: the inputs split into bf16 parts once, then the
    /// weight rows shared over the pool in whole tile blocks of 32.
    private static func tileProduct(
        _ w: UnsafePointer<UInt16>, rows: Int, cols: Int, input: UnsafePointer<Float>, count: Int,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let aligned = UnsafeMutableRawPointer(scratch).alignedUp(toMultipleOf: 64).assumingMemoryBound(to: UInt16.self)
        ck_split_bf16(input, count, cols, aligned)
        // Balanced as it runs, as the quantized products below: a static half waited on the slower core.
        ThreadPool.shared.runRows(rows, granule: 32) { range in
            ck_matmul_bf16_amx(w, cols, aligned, count, output, rows, range.lowerBound, range.upperBound)
        }
    }

    /// Quantized weights times several inputs on AMX tiles: the inputs quantized for the tiles once, 16
    /// positions per task, then the weight rows shared over the pool in blocks of 16.
    private static func quantizedTileProduct(
        _ weight: Matrix, input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard case .quantized(let q, let format) = weight.elements else { return }
        let inputs = TileInputs(scratch, paddedCols: q.paddedCols, count: count)
        let pool = ThreadPool.shared, tiles = (count + 15) / 16
        let quantizers = min(pool.threads, tiles)
        pool.run(tasks: quantizers) { part in
            let t0 = tiles * part / quantizers * 16, t1 = min(count, tiles * (part + 1) / quantizers * 16)
            ck_quantize_rows(input + t0 * weight.cols, weight.cols, t1 - t0, weight.cols, q.paddedCols,
                             inputs.quants + t0 * q.paddedCols, inputs.scales + t0 * inputs.blocks)
        }
        // Balanced as it runs (on a busy machine one thread's share of a static split held the other up), in
        // runs of 64 rows, within which the kernel fetches a panel's weights while it multiplies the one before.
        pool.runRows(weight.rows, granule: 64) { rows in
            q.tileProduct(format, quants: inputs.quants, scales: inputs.scales, count: count, output, ldy: weight.rows, rows: rows)
        }
    }

    /// Quantized weights times several inputs: every input quantized once into scratch, then the
    /// weight rows split over the pool, each part running the multi-input integer kernel.
    private static func quantizedProduct(
        _ weight: Matrix, input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard case .quantized(let q, _) = weight.elements else { return }
        let padded = q.paddedCols
        // Scratch holds the inputs' descriptors, then each input's quantized data.
        let per = QuantizedInput.floats(paddedCols: padded)
        let vectors = UnsafeMutableRawPointer(scratch).bindMemory(to: ck_q8_vector.self, capacity: count)
        let data = scratch + QuantizedInput.descriptorFloats(count)
        ThreadPool.shared.split(count, minimumPerTask: 16) { inputs in
            for i in inputs {
                vectors[i] = QuantizedInput(input + i * weight.cols, valid: weight.cols, paddedCols: padded,
                                            scratch: data + i * per).vector
            }
        }
        var job = MatrixMatrixJob(weight: weight, vectors: vectors, count: count, output: output)
        // Runs of 48 rows keep the kernels' tiles (3 rows for q8, 2 for q6 and q4) whole, balanced as they run.
        withUnsafeMutablePointer(to: &job) { context in
            ThreadPool.shared.runRows(weight.rows, granule: 48, context: context) { context, begin, end in
                context!.assumingMemoryBound(to: MatrixMatrixJob.self).pointee.run(begin..<end)
            }
        }
    }

    private struct MatrixMatrixJob {
        let weight: Matrix
        let vectors: UnsafeMutablePointer<ck_q8_vector>
        let count: Int
        let output: UnsafeMutablePointer<Float>

        func run(_ range: Range<Int>) {
            guard !range.isEmpty, case .quantized(let q, let format) = weight.elements else { return }
            q.matrixMatrix(format, vectors, count: count, output, ldy: weight.rows, rows: range)
        }
    }

    /// `y = W x` for one vector, split over the cores by rows on the shared thread pool.
    public static func matrixVector(
        _ weight: Matrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>? = nil
    ) {
        withExtendedLifetime(weight) { matrixVector(MatrixVectorJob.Parts((weight, y)), x, scratch: scratch) }
    }

    /// Products of one input batch with two or three weights of the same width (a layer's query, key and
    /// value projections; an FFN's gate and up): `outputs.i[t, r] = sum_c input[t, c] * weights.i[r, c]`.
    /// For one input the weights' rows are one job on the pool and a quantized input is quantized once,
    /// so a decode step waits for its threads once per group rather than once per matrix.
    public static func apply(
        _ first: Matrix, _ second: Matrix, _ third: Matrix? = nil, input: UnsafePointer<Float>, count: Int,
        outputs: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?),
        scratch: UnsafeMutablePointer<Float>? = nil
    ) {
        precondition((third == nil) == (outputs.2 == nil), "a third weight needs a third output, and only it")
        let parts = MatrixVectorJob.Parts((first, outputs.0), (second, outputs.1), third.map { ($0, outputs.2!) })
        // Rows run in pairs (the quantized formats' layout), so a part may end mid-job only after an even row.
        guard count == 1, parts.sharesWidth, first.rows % 2 == 0, third == nil || second.rows % 2 == 0 else {
            apply(first, input: input, count: count, output: outputs.0, scratch: scratch)
            apply(second, input: input, count: count, output: outputs.1, scratch: scratch)
            if let third, let out = outputs.2 { apply(third, input: input, count: count, output: out, scratch: scratch) }
            return
        }
        withExtendedLifetime((first, second, third)) { matrixVector(parts, input, scratch: scratch) }
    }

    private static func matrixVector(
        _ parts: MatrixVectorJob.Parts, _ x: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>?
    ) {
        var job = MatrixVectorJob(parts: parts, x: x, input: nil)
        if let padded = parts.quantizedPaddedCols {
            guard let scratch else {
                let owned = UnsafeMutablePointer<Float>.allocate(capacity: QuantizedInput.floats(paddedCols: padded))
                defer { owned.deallocate() }
                matrixVector(parts, x, scratch: owned)
                return
            }
            job.input = QuantizedInput(x, valid: parts.cols, paddedCols: padded, scratch: scratch)
        }
        if parts.rows * parts.cols < 1 << 15 {
            job.dotRows(0..<parts.rows)
            return
        }
        // The job is a plain struct on the stack handed to the C pool: no closure context, no allocation.
        // Runs of whole row pairs keep the quantized formats' pairs on one thread.
        withUnsafeMutablePointer(to: &job) { context in
            ThreadPool.shared.runRows(parts.rows, granule: 2, context: context) { context, begin, end in
                context!.assumingMemoryBound(to: MatrixVectorJob.self).pointee.dotRows(begin..<end)
            }
        }
    }

    /// One input against the rows of up to three weights laid end to end.
    private struct MatrixVectorJob {
        /// The weights and their outputs; a fixed tuple so that a job allocates nothing. A part keeps a
        /// weight's elements but not its owner (the caller holds the weight for the job's duration): the
        /// pool's threads copy the job for every run of rows they take, and an owner would be reference
        /// counted at each copy (2% of a q4 decode step's samples).
        struct Parts {
            typealias Part = (weight: Matrix, y: UnsafeMutablePointer<Float>)
            typealias Piece = (elements: Matrix.Elements, rows: Int, cols: Int, y: UnsafeMutablePointer<Float>)
            let pieces: (Piece, Piece?, Piece?)

            /// A third part only after a second.
            init(_ first: Part, _ second: Part? = nil, _ third: Part? = nil) {
                func piece(_ part: Part) -> Piece { (part.weight.elements, part.weight.rows, part.weight.cols, part.y) }
                pieces = (piece(first), second.map(piece), second == nil ? nil : third.map(piece))
            }

            var count: Int { pieces.2 != nil ? 3 : pieces.1 != nil ? 2 : 1 }

            subscript(i: Int) -> Piece { i == 0 ? pieces.0 : i == 1 ? pieces.1! : pieces.2! }

            var cols: Int { pieces.0.cols }
            var rows: Int { (0..<count).reduce(0) { $0 + self[$1].rows } }
            var sharesWidth: Bool { (0..<count).allSatisfy { self[$0].cols == cols } }

            /// The padded width of the quantized input, when any part is quantized (equal widths pad equally).
            var quantizedPaddedCols: Int? {
                for i in 0..<count { if case .quantized(let q, _) = self[i].elements { return q.paddedCols } }
                return nil
            }
        }

        let parts: Parts
        let x: UnsafePointer<Float>
        var input: QuantizedInput?

        /// Rows `range` of the parts laid end to end, each piece by its own part's kernel.
        func dotRows(_ range: Range<Int>) {
            var offset = 0
            for i in 0..<parts.count {
                let part = parts[i], rows = part.rows
                let lo = max(range.lowerBound, offset) - offset, hi = min(range.upperBound, offset + rows) - offset
                if lo < hi { dot(part.elements, cols: part.cols, part.y, rows: lo..<hi) }
                offset += rows
            }
        }

        private func dot(_ elements: Matrix.Elements, cols: Int, _ y: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
            let lo = range.lowerBound, hi = range.upperBound
            switch elements {
            case .f32(let w): ck_matvec_f32(w, x, y, cols, lo, hi)
            case .bf16(let w): ck_matvec_bf16(w, x, y, cols, lo, hi)
            case .f16(let w): ck_matvec_f16(w, x, y, cols, lo, hi)
            case .quantized(let q, let format):
                withUnsafePointer(to: input!.vector) { q.matrixVector(format, $0, y, rows: range) }
            }
        }
    }
}

/// The input vector of a quantized product, quantized once per product into scratch floats:
/// int8 values, then a scale and a sum per block.
struct QuantizedInput {
    let vector: ck_q8_vector

    /// Floats that `count` descriptors take at the start of a batch's scratch.
    static func descriptorFloats(_ count: Int) -> Int {
        (count * MemoryLayout<ck_q8_vector>.stride + 63) / 64 * 16
    }

    static func floats(paddedCols: Int) -> Int {
        let blocks = paddedCols / Int(CK_BLOCK)
        return paddedCols / 4 + 2 * blocks + 16  // + 16: alignment slack
    }

    init(_ x: UnsafePointer<Float>, valid: Int, paddedCols: Int, scratch: UnsafeMutablePointer<Float>) {
        let blocks = paddedCols / Int(CK_BLOCK)
        let raw = UnsafeMutableRawPointer(scratch)
        let quants = raw.assumingMemoryBound(to: Int8.self)
        let scales = (raw + paddedCols).assumingMemoryBound(to: Float.self)
        let sums = (raw + paddedCols + 4 * blocks).assumingMemoryBound(to: Int32.self)
        vector = ck_q8_vector(quants: quants, scales: scales, sums: sums)
        withUnsafePointer(to: vector) { ck_quantize_vector(x, valid, paddedCols, UnsafeMutablePointer(mutating: $0)) }
    }
}

/// A batch of inputs quantized for the AMX int8 tiles (`ck_quantize_rows`), in scratch floats: the quants of
/// whole tiles of 16 positions, 64-byte aligned, then a scale per position and block.
struct TileInputs {
    let quants: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let blocks: Int

    static func floats(paddedCols: Int, count: Int) -> Int {
        let positions = (count + 15) / 16 * 16
        return positions * paddedCols / 4 + positions * paddedCols / Int(CK_BLOCK) + 16
    }

    init(_ scratch: UnsafeMutablePointer<Float>, paddedCols: Int, count: Int) {
        let positions = (count + 15) / 16 * 16
        let raw = UnsafeMutableRawPointer(scratch).alignedUp(toMultipleOf: 64)
        quants = raw.assumingMemoryBound(to: Int8.self)
        scales = (raw + positions * paddedCols).assumingMemoryBound(to: Float.self)
        blocks = paddedCols / Int(CK_BLOCK)
    }
}

/// The number of threads kernels split work over.
public enum ThreadCount {
    nonisolated(unsafe) public static var current: Int = defaultCount

    public static var defaultCount: Int {
        max(1, min(System.physicalCores, 64))
    }
}
