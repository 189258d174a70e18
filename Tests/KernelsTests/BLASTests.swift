import Kernels
import Testing

/// `BLAS.gemm` splits large products across the pool: every part must land where the whole would.
@Suite struct BLASTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let m, n, k: Int
        let transposeA, transposeB: Bool
        var testDescription: String { "\(m)x\(n)x\(k) A\(transposeA ? "ᵀ" : "") B\(transposeB ? "ᵀ" : "")" }
    }

    // Large enough to be split; the longer side (rows, then columns) is not a multiple of 16.
    static let cases = [(301, 37), (37, 301)].flatMap { m, n in
        [(false, false), (true, false), (false, true), (true, true)].map { Case(m: m, n: n, k: 200, transposeA: $0.0, transposeB: $0.1) }
    }

    @Test(arguments: cases) func splitProductMatchesTheDefinition(_ c: Case) {
        var seed: UInt64 = 0x5EED
        func random() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2001 - 1000) / 1000
        }
        // Leading dimensions wider than the matrices, as for heads inside a row of all heads.
        let (aRows, aCols) = c.transposeA ? (c.k, c.m) : (c.m, c.k)
        let (bRows, bCols) = c.transposeB ? (c.n, c.k) : (c.k, c.n)
        let lda = aCols + 3, ldb = bCols + 5, ldc = c.n + 7
        let a = (0..<aRows * lda).map { _ in random() }
        let b = (0..<bRows * ldb).map { _ in random() }
        var out = (0..<c.m * ldc).map { _ in random() }
        let before = out
        let alpha: Float = 0.5, beta: Float = 2
        BLAS.gemm(transposeA: c.transposeA, transposeB: c.transposeB, m: c.m, n: c.n, k: c.k, alpha: alpha,
                  a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &out, ldc: ldc, pool: ThreadPool(threads: 3))
        var worst = 0.0
        for i in 0..<c.m {
            for j in 0..<c.n {
                var sum = 0.0
                for p in 0..<c.k {
                    let x = c.transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = c.transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let expected = Double(alpha) * sum + Double(beta) * Double(before[i * ldc + j])
                worst = max(worst, abs(Double(out[i * ldc + j]) - expected))
            }
            // Past the n columns of a row nothing is written.
            #expect(Array(out[i * ldc + c.n..<(i + 1) * ldc]) == Array(before[i * ldc + c.n..<(i + 1) * ldc]))
        }
        #expect(worst < 1e-4, "largest error \(worst)")
    }
}

/// Which OpenBLAS kernels to ask for when the ones it chose at load are narrower than the machine's.
@Suite struct OpenBLASCoreTests {
    @Test func asksForTheWidestFamilyTheMachineRuns() {
        // Debian 12's OpenBLAS takes Intel's Emerald Rapids for a Prescott.
        #expect(BLAS.widerCore(than: "Prescott", machineLevel: 4) == "SkylakeX")
        #expect(BLAS.widerCore(than: "Sandybridge", machineLevel: 3) == "SkylakeX")
        #expect(BLAS.widerCore(than: "Haswell", machineLevel: 4) == "SkylakeX")  // Zen 4 in OpenBLAS before 0.3.22
        #expect(BLAS.widerCore(than: "Nehalem", machineLevel: 2) == "Haswell")
    }

    @Test func leavesAsWideOrUnknownChoicesAlone() {
        #expect(BLAS.widerCore(than: "SkylakeX", machineLevel: 4) == nil)
        #expect(BLAS.widerCore(than: "SapphireRapids", machineLevel: 4) == nil)
        #expect(BLAS.widerCore(than: "Zen", machineLevel: 2) == nil)
        #expect(BLAS.widerCore(than: "Cooperlake", machineLevel: 2) == nil)
        // A machine without AVX2 gains nothing from a family it could not run.
        #expect(BLAS.widerCore(than: "Prescott", machineLevel: 0) == nil)
        // Another architecture's families, and names this table does not know.
        #expect(BLAS.widerCore(than: "NEOVERSEN1", machineLevel: 1) == nil)
        #expect(BLAS.widerCore(than: "GraniteRapids", machineLevel: 4) == nil)
    }
}
