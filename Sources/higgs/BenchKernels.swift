import ArgumentParser
import Foundation
import Checkpoint
import Kernels

/// `higgs bench kernels`: the matrix-vector kernels alone, per weight format and thread count, on
/// matrices of the model's shapes that together exceed the caches, against the read bandwidth; then the
/// decode step's attention over KV caches of the published shape, Float32 and half.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time the matrix-vector kernels (bf16, q8, q6, q4) and the decode attention per thread count against the read bandwidth."
    )

    @Option(help: "Thread counts, comma-separated (default: 1 and the physical cores).")
    var threads: String?

    @Option(help: "Megabytes of bf16 weights per format (several matrices, so the caches do not hold them).")
    var megabytes = 512

    @Option(help: "Rows of each matrix (the published MLP's up projection has 8192).")
    var rows = 8192

    @Option(help: "Columns of each matrix (the published hidden size is 3072).")
    var cols = 3072

    @Option(help: "Passes over all matrices; the best is reported.")
    var passes = 5

    @Option(help: "Cached positions for the decode attention timings, comma-separated (empty skips them).")
    var keys = "500,1500,3000"

    func run() throws {
        let counts = try threads.map { try $0.split(separator: ",").map { s -> Int in
            guard let n = Int(s), n > 0 else { throw ValidationError("bad thread count '\(s)'") }
            return n
        } } ?? Array(Set([1, System.physicalCores])).sorted()
        let matrices = max(1, megabytes << 20 / (rows * cols * 2))
        var rng = SplitMix64(seed: 1)
        let bf16 = (0..<matrices).map { _ -> Matrix in
            let storage = QuantizedStorage(bytes: rows * cols * 2)
            let bits = storage.base.bindMemory(to: UInt16.self, capacity: rows * cols)
            for i in 0..<rows * cols { bits[i] = Convert.floatToBF16(Float(rng.below(2001)) / 1000 - 1) }
            return Matrix(rows: rows, cols: cols, elements: .bf16(bits), owner: storage)
        }
        let formats = [("bf16", bf16)] + Quantization.Format.allCases.map { f in (f.name, bf16.map { Quantization.quantize($0, format: f) }) }
        let x = FloatBuffer((0..<cols).map { _ in Float(rng.below(2001)) / 1000 - 1 })
        let y = FloatBuffer(count: rows)
        let scratch = FloatBuffer(count: max(1, Linear.scratchCount(formats[1].1[0], count: 1)))
        print("\(matrices) matrices of \(rows) x \(cols) per format; kernels: \(ThreadPool.instructionSet)")
        for t in counts {
            ThreadPool.setSharedThreads(t)
            let bandwidth = ThreadPool.shared.readBandwidth()
            var line = String(format: "%d thread%@: read %.1f GB/s", t, t == 1 ? "" : "s", bandwidth)
            for (name, weights) in formats {
                var best = Double.infinity
                for _ in 0..<passes {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for w in weights { Linear.apply(w, input: x.pointer, count: 1, output: y.pointer, scratch: scratch.pointer) }
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                let bytes = weights.reduce(0) { $0 + $1.byteCount }
                line += String(format: ", %@ %.1f GB/s (%.0f%%)", name, Double(bytes) / best / 1e9, 100 * Double(bytes) / best / 1e9 / bandwidth)
            }
            print(line)
        }
        let keyCounts = try keys.split(separator: ",").map { s -> Int in
            guard let n = Int(s), n > 0 else { throw ValidationError("bad key count '\(s)'") }
            return n
        }
        if !keyCounts.isEmpty { timeAttention(keyCounts: keyCounts, threadCounts: counts) }
    }

    /// The decode step's attention for every layer of the published shape (28 layers, 24 query heads over
    /// 8 kv heads of 128) over caches that hold `keyCounts` positions, in Float32, in halves and in int8.
    private func timeAttention(keyCounts: [Int], threadCounts: [Int]) {
        let layers = 28, heads = 24, kvHeads = 8, d = 128
        let capacity = keyCounts.max()!
        let n = kvHeads * capacity * d
        var rng = SplitMix64(seed: 2)
        // Per layer: keys then values, in each precision.
        let full = (0..<layers).map { _ in FloatBuffer((0..<2 * n).map { _ in Float(rng.below(2001)) / 1000 - 1 }) }
        let half = full.map { layer -> UnsafeMutablePointer<UInt16> in
            let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: 2 * n)
            Convert.floatToF16(layer.pointer, bits, count: 2 * n)
            return bits
        }
        defer { half.forEach { $0.deallocate() } }
        // int8 rows (keys then values) and their scales.
        let int8 = full.map { layer -> (rows: UnsafeMutablePointer<Int8>, scales: FloatBuffer) in
            let rows = UnsafeMutablePointer<Int8>.allocate(capacity: 2 * n)
            let scales = FloatBuffer(count: 2 * kvHeads * capacity)
            Convert.floatToInt8Rows(layer.pointer, rows: 2 * kvHeads * capacity, width: d, into: rows, scales: scales.pointer)
            return (rows, scales)
        }
        defer { int8.forEach { $0.rows.deallocate() } }
        let query = FloatBuffer((0..<heads * d).map { _ in Float(rng.below(2001)) / 1000 - 1 })
        let output = FloatBuffer(count: heads * d)
        let scores = FloatBuffer(count: heads / kvHeads * capacity * kvHeads)
        print("decode attention, \(layers) layers of \(heads) query heads over \(kvHeads) kv heads of \(d):")
        for t in threadCounts {
            ThreadPool.setSharedThreads(t)
            var parts: [String] = []
            for keyCount in keyCounts {
                var part = "\(keyCount) keys:"
                for precision in [KVPrecision.float32, .float16, .int8] {
                    var best = Double.infinity
                    for _ in 0..<passes {
                        let start = DispatchTime.now().uptimeNanoseconds
                        for l in 0..<layers {
                            let keys: UnsafeRawPointer = switch precision {
                            case .float32: UnsafeRawPointer(full[l].pointer)
                            case .float16: UnsafeRawPointer(half[l])
                            case .int8: UnsafeRawPointer(int8[l].rows)
                            }
                            let scales = precision == .int8 ? UnsafePointer(int8[l].scales.pointer) : nil
                            DecodeAttention.attend(query: query.pointer, keys: keys, values: keys + n * precision.bytes,
                                                   precision: precision, keyScales: scales, valueScales: scales.map { $0 + kvHeads * capacity },
                                                   output: output.pointer, scores: scores.pointer,
                                                   scoreCapacity: scores.count, heads: heads, kvHeads: kvHeads, headDim: d,
                                                   capacity: capacity, keyCount: keyCount, scale: 1 / Float(d).squareRoot())
                        }
                        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                    let bytes = Double(layers * 2 * kvHeads * keyCount * (d * precision.bytes + (precision == .int8 ? 4 : 0)))
                    let name = switch precision { case .float32: " f32 "; case .float16: ", f16 "; case .int8: ", int8 " }
                    part += name + String(format: "%.2f ms (%.1f GB/s)", best * 1e3, bytes / best / 1e9)
                }
                parts.append(part)
            }
            let line = String(format: "%d thread%@: ", t, t == 1 ? "" : "s") + parts.joined(separator: "; ")
            print(line)
        }
    }
}
