import Checkpoint
import Kernels

/// `nn.Linear`: `y[t] = W x[t] + b`, W `[out, in]`, over time-major rows or channel-major signals.
struct Dense {
    /// `[out, in]`; nil where the tiles hold it.
    let weight: FloatBuffer?
    let bias: FloatBuffer?
    let inFeatures: Int
    let outFeatures: Int
    /// The weight packed for AMX tiles (as a 1x1 convolution), for the channel-major products, where asked
    /// for and the CPU has them.
    let tiles: TileRows?

    /// `tiles`: pack the weight for AMX tiles where the tokenizer's options allow (for layers that run
    /// channel-major, HuBERT's); the Float32 copy is then not kept.
    init(_ reader: WeightReader, _ prefix: String, inFeatures expectedIn: Int? = nil, bias hasBias: Bool = true,
         tiles wantsTiles: Bool = false) throws {
        let shape = try reader.tensor(prefix + ".weight").shape
        guard shape.count == 2, shape.allSatisfy({ $0 > 0 }) else {
            throw reader.fail("tensor '\(prefix).weight' has shape \(shape), a [out, in] matrix expected")
        }
        if let expectedIn, shape[1] != expectedIn {
            throw reader.fail("'\(prefix)' takes \(shape[1]) features, \(expectedIn) expected")
        }
        let values = try reader.floats(prefix + ".weight")
        bias = hasBias ? try reader.floats(prefix + ".bias", shape: [shape[0]]) : nil
        outFeatures = shape[0]
        inFeatures = shape[1]
        tiles = wantsTiles && reader.options.tiles
            ? TileRows(values.pointer, rows: outFeatures, inChannels: inFeatures, kernel: 1, dilation: 1) : nil
        weight = tiles == nil ? values : nil
    }

    /// `rows` rows of `inFeatures` in, `rows` rows of `outFeatures` out.
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int) -> [Float] {
        guard let weight else { return apply(Signal.fromTimeMajor(x, count: rows, channels: inFeatures)).timeMajor() }
        var y = [Float](repeating: 0, count: rows * outFeatures)
        guard rows > 0 else { return y }
        y.withUnsafeMutableBufferPointer { out in
            if let bias {
                for t in 0..<rows { (out.baseAddress! + t * outFeatures).update(from: bias.pointer, count: outFeatures) }
            }
            BLAS.gemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
                      b: weight.pointer, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: out.baseAddress!, ldc: outFeatures)
        }
        return y
    }

    func callAsFunction(_ x: [Float], rows: Int) -> [Float] {
        precondition(x.count == rows * inFeatures)
        return x.withUnsafeBufferPointer { self($0.baseAddress!, rows: rows) }
    }

    /// Over a signal `[inFeatures, count]`: `[outFeatures, count]`.
    func apply(_ x: Signal) -> Signal {
        let y = Signal(channels: outFeatures, count: x.count)
        apply(x, into: y)
        return y
    }

    /// Over a signal `[inFeatures, count]` into `y` `[outFeatures, count]`, or added to what it holds.
    func apply(_ x: Signal, into y: Signal, accumulate: Bool = false) {
        precondition(x.channels == inFeatures && y.channels == outFeatures && y.count == x.count)
        guard x.count > 0 else { return }
        let b = bias.map { UnsafePointer($0.pointer) }
        if let tiles {
            tiles.convolve(x: x.pointer, ldx: x.count, y: y.pointer, ldy: y.count, count: x.count, bias: b,
                           accumulate: accumulate, snakeAlpha: nil)
        } else {
            Convolution.forward(weight: weight!.pointer, bias: b, outChannels: outFeatures, inChannels: inFeatures, kernel: 1,
                                x: x.pointer, ldx: x.count, count: x.count, y: y.pointer, ldy: y.count, accumulate: accumulate)
        }
    }
}

/// The residual vector quantizer (`quantizer.vq.layers.N`): each layer projects the residual into
/// its codebook's space, picks the nearest entry, and projects that back; codes are the picks.
struct ResidualVectorQuantizer {
    struct Layer {
        let embed: FloatBuffer  // [size, codebookDimension]
        let squaredNorms: [Float]
        let projectIn: Dense?
        let projectOut: Dense?
    }

    let layers: [Layer]
    /// Width of the quantized vectors (`D` + the semantic width for the published tokenizer).
    let dimension: Int
    let codebookSize: Int
    let codebookDimension: Int

    init(_ reader: WeightReader, prefix: String = "quantizer.vq.layers", count: Int, codebookSize: Int) throws {
        var layers: [Layer] = []
        var dimension = 0, entryWidth = 0
        for q in 0..<count {
            let p = "\(prefix).\(q)"
            let shape = try reader.tensor(p + "._codebook.embed").shape
            guard shape.count == 2, shape[0] == codebookSize, shape[1] > 0 else {
                throw reader.fail("tensor '\(p)._codebook.embed' has shape \(shape), [\(codebookSize), dim] expected (bins \(codebookSize))")
            }
            let embed = try reader.floats(p + "._codebook.embed")
            let projectIn = reader.has(p + ".project_in.weight") ? try Dense(reader, p + ".project_in") : nil
            let projectOut = reader.has(p + ".project_out.weight") ? try Dense(reader, p + ".project_out", inFeatures: shape[1]) : nil
            let width = projectOut?.outFeatures ?? shape[1]
            if q == 0 { dimension = width; entryWidth = shape[1] }
            guard width == dimension, shape[1] == entryWidth, (projectIn == nil) == (projectOut == nil),
                  projectIn.map({ $0.inFeatures == dimension && $0.outFeatures == shape[1] }) ?? true else {
                throw reader.fail("quantizer layer \(q) does not have the widths of layer 0 (\(dimension) via \(entryWidth))")
            }
            let norms = (0..<codebookSize).map { i -> Float in
                var s: Float = 0
                for j in 0..<shape[1] { s += embed[i * shape[1] + j] * embed[i * shape[1] + j] }
                return s
            }
            layers.append(Layer(embed: embed, squaredNorms: norms, projectIn: projectIn, projectOut: projectOut))
        }
        self.layers = layers
        self.dimension = dimension
        self.codebookSize = codebookSize
        codebookDimension = entryWidth
    }

    /// The quantized vectors of `codes` (`[layer][frame]`, values checked by the caller), time-major `[frames, dimension]`:
    /// the sum over layers of each picked entry projected back.
    func decode(_ codes: [[Int]]) -> [Float] {
        let frames = codes.first?.count ?? 0
        var sum = [Float](repeating: 0, count: frames * dimension)
        for (q, layerCodes) in codes.enumerated() {
            let layer = layers[q]
            var entries = [Float](repeating: 0, count: frames * codebookDimension)
            for (t, code) in layerCodes.enumerated() {
                for j in 0..<codebookDimension { entries[t * codebookDimension + j] = layer.embed[code * codebookDimension + j] }
            }
            let projected = layer.projectOut.map { $0(entries, rows: frames) } ?? entries
            for i in sum.indices { sum[i] += projected[i] }
        }
        return sum
    }

    /// Codes of time-major vectors `[frames, dimension]`: per layer, the entry nearest the
    /// projected residual (smallest `|x|² - 2x·e + |e|²`, first on ties), then the residual less
    /// its quantized value. Returns `[layer][frame]`.
    func encode(_ x: [Float], frames: Int) -> [[Int]] {
        var residual = x
        var codes: [[Int]] = []
        for layer in layers {
            let projected = layer.projectIn.map { $0(residual, rows: frames) } ?? residual
            // Dot products of every frame with every entry: [frames, size].
            var dots = [Float](repeating: 0, count: frames * codebookSize)
            projected.withUnsafeBufferPointer { a in
                dots.withUnsafeMutableBufferPointer { c in
                    BLAS.gemm(transposeB: true, m: frames, n: codebookSize, k: codebookDimension,
                              a: a.baseAddress!, lda: codebookDimension, b: layer.embed.pointer, ldb: codebookDimension,
                              c: c.baseAddress!, ldc: codebookSize)
                }
            }
            var picks = [Int](repeating: 0, count: frames)
            var entries = [Float](repeating: 0, count: frames * codebookDimension)
            for t in 0..<frames {
                var xx: Float = 0
                for j in 0..<codebookDimension { xx += projected[t * codebookDimension + j] * projected[t * codebookDimension + j] }
                var best = 0
                var bestDistance = Float.infinity
                for i in 0..<codebookSize {
                    let d = (xx - 2 * dots[t * codebookSize + i]) + layer.squaredNorms[i]
                    if d < bestDistance { bestDistance = d; best = i }
                }
                picks[t] = best
                for j in 0..<codebookDimension { entries[t * codebookDimension + j] = layer.embed[best * codebookDimension + j] }
            }
            let quantized = layer.projectOut.map { $0(entries, rows: frames) } ?? entries
            for i in residual.indices { residual[i] -= quantized[i] }
            codes.append(picks)
        }
        return codes
    }
}
