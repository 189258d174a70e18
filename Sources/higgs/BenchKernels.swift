import ArgumentParser
import Foundation
import Checkpoint
import Kernels

/// `higgs bench kernels`: the matrix-vector kernels alone, per weight format and thread count, on
/// matrices of the model's shapes that together exceed the caches, against the read bandwidth.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time the matrix-vector kernels (bf16, q8, q4) per thread count against the read bandwidth."
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
        let formats: [(String, [Matrix])] = [("bf16", bf16), ("q8", bf16.map { Quantization.quantize($0, format: .q8) }),
                                             ("q4", bf16.map { Quantization.quantize($0, format: .q4) })]
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
    }
}
