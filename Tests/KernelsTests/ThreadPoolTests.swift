import Kernels
import Testing

@Suite struct ThreadPoolTests {
    @Test func splitCoversEveryIndexOnceAcrossThreads() {
        let pool = ThreadPool(threads: 2)
        for count in [0, 1, 2, 3, 17, 1000] {
            var seen = [Int](repeating: 0, count: count)
            seen.withUnsafeMutableBufferPointer { marks in
                let p = marks.baseAddress
                pool.split(count) { range in for i in range { p![i] += 1 } }
            }
            #expect(seen.allSatisfy { $0 == 1 }, "count \(count)")
        }
    }

    @Test func runReturnsOnlyAfterEveryTaskFinished() {
        let pool = ThreadPool(threads: 3)
        var results = [Int](repeating: 0, count: 64)
        for round in 1...200 {
            results.withUnsafeMutableBufferPointer { out in
                let p = out.baseAddress!
                pool.run(tasks: 64) { task in p[task] = task * round }
            }
            #expect(results == (0..<64).map { $0 * round })
        }
    }
}
