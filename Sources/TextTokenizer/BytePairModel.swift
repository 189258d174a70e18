/// The BPE model of tokenizer.json: byte strings to token ids by ranked merges.
struct BytePairModel {
    /// Token bytes -> id.
    var vocabulary: ByteTable
    /// The id of each single-byte token; -1 where the vocabulary lacks one (such bytes are dropped, as the
    /// reference does without an unknown token).
    var idOfByte: [Int32]
    var merges: MergeTable
    /// A word that is itself a token is emitted as is, without merging (Llama 3 sets this).
    var ignoreMerges: Bool
}

/// Encodes pre-tokenized words, remembering the results of merging.
///
/// Not thread-safe: each `BPETokenizer` uses its own under a lock.
final class WordEncoder {
    private let model: BytePairModel

    /// Word bytes -> offset in `cachedIds`, which holds the id count followed by the ids.
    private var cache = ByteTable(minimumCapacity: 1 << 14)
    private var cachedIds: [Int32] = []
    private static let cacheWordLimit = 256
    private static let cacheEntryLimit = 200_000

    // Scratch space, kept between words.
    private var symbols: [Int32] = []
    private var pairRanks: [Int32] = []
    private var pairResults: [Int32] = []
    private var next: [Int32] = []
    private var previous: [Int32] = []
    private var heap = MergeHeap()

    init(model: BytePairModel) {
        self.model = model
    }

    func encode(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        if model.ignoreMerges, let id = model.vocabulary.value(for: word) {
            output.append(Int(id))
            return
        }
        let cacheable = word.count <= Self.cacheWordLimit
        if cacheable, let offset = cache.value(for: word) {
            let start = Int(offset) + 1
            for index in start..<start + Int(cachedIds[start - 1]) { output.append(Int(cachedIds[index])) }
            return
        }
        symbols.removeAll(keepingCapacity: true)
        for byte in word {
            let id = model.idOfByte[Int(byte)]
            if id >= 0 { symbols.append(id) }
        }
        if symbols.count <= 48 { mergeByScanning() } else { mergeByHeap() }
        for id in symbols { output.append(Int(id)) }
        if cacheable {
            if cache.count >= Self.cacheEntryLimit {
                cache.removeAll()
                cachedIds.removeAll(keepingCapacity: true)
            }
            cache.set(Int32(cachedIds.count), for: word)
            cachedIds.append(Int32(symbols.count))
            cachedIds.append(contentsOf: symbols)
        }
    }

    /// Merges `symbols` in place: always the lowest-ranked adjacent pair, the leftmost among equals.
    /// Quadratic, and the fastest way for the short words that make up nearly all text.
    private func mergeByScanning() {
        var count = symbols.count
        guard count > 1 else { return }
        pairRanks.removeAll(keepingCapacity: true)
        pairResults.removeAll(keepingCapacity: true)
        for index in 0..<count - 1 {
            let merge = model.merges.merge(symbols[index], symbols[index + 1])
            pairRanks.append(merge?.rank ?? .max)
            pairResults.append(merge?.result ?? -1)
        }
        while count > 1 {
            var best = 0
            for index in 1..<count - 1 where pairRanks[index] < pairRanks[best] { best = index }
            guard pairRanks[best] != .max else { break }
            symbols[best] = pairResults[best]
            symbols.remove(at: best + 1)
            pairRanks.remove(at: best)
            pairResults.remove(at: best)
            count -= 1
            if best > 0 { updatePair(best - 1) }
            if best < count - 1 { updatePair(best) }
        }
        symbols.removeSubrange(count...)
    }

    @inline(__always)
    private func updatePair(_ index: Int) {
        let merge = model.merges.merge(symbols[index], symbols[index + 1])
        pairRanks[index] = merge?.rank ?? .max
        pairResults[index] = merge?.result ?? -1
    }

    /// The same merges for long words, in O(n log n): symbols in a linked list, candidate pairs in a heap
    /// ordered by (rank, position); a popped pair that no longer exists is skipped.
    private func mergeByHeap() {
        let count = symbols.count
        next = Array(1...Int32(count))
        next[count - 1] = -1
        previous = Array(-1..<Int32(count - 1))
        heap.removeAll()
        for index in 0..<count - 1 {
            if let merge = model.merges.merge(symbols[index], symbols[index + 1]) {
                heap.push(rank: merge.rank, position: Int32(index), result: merge.result)
            }
        }
        var removed = [Bool](repeating: false, count: count)
        while let candidate = heap.pop() {
            let position = Int(candidate.position)
            let right = Int(next[position])
            guard !removed[position], right >= 0,
                  model.merges.merge(symbols[position], symbols[right])?.result == candidate.result
            else { continue }
            symbols[position] = candidate.result
            removed[right] = true
            let after = Int(next[right])
            next[position] = Int32(after)
            if after >= 0 { previous[after] = Int32(position) }
            let before = Int(previous[position])
            if before >= 0, let merge = model.merges.merge(symbols[before], symbols[position]) {
                heap.push(rank: merge.rank, position: Int32(before), result: merge.result)
            }
            if after >= 0, let merge = model.merges.merge(symbols[position], symbols[after]) {
                heap.push(rank: merge.rank, position: Int32(position), result: merge.result)
            }
        }
        var kept = 0
        for index in 0..<count where !removed[index] {
            symbols[kept] = symbols[index]
            kept += 1
        }
        symbols.removeSubrange(kept...)
    }
}

/// A binary min-heap of candidate merges, ordered by rank, then position.
struct MergeHeap {
    struct Candidate {
        let order: UInt64  // rank << 32 | position
        let result: Int32
        var position: Int32 { Int32(truncatingIfNeeded: order & 0xFFFF_FFFF) }
    }

    private var items: [Candidate] = []

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(rank: Int32, position: Int32, result: Int32) {
        items.append(Candidate(order: UInt64(UInt32(rank)) << 32 | UInt64(UInt32(position)), result: result))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].order < items[parent].order else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left].order < items[smallest].order { smallest = left }
                if right < items.count && items[right].order < items[smallest].order { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
