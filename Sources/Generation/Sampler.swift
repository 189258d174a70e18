import Foundation
import Kernels

/// How the next token or audio code is chosen, with the reference CLI's defaults.
public struct SamplingOptions: Sendable, Equatable {
    /// Logits are divided by it before sampling; 0 picks the largest logit (greedy).
    public var temperature: Float
    /// Keep only the `topK` largest logits (ties with the k-th kept); nil or 0 keeps all.
    public var topK: Int?
    /// Keep the smallest set of largest logits whose probability reaches `topP`; 1 keeps all.
    public var topP: Double
    /// Repetition-aware sampling: when a sampled code already occurs `rasMaxRepeats` times among the last
    /// `rasWindowLength` codes of its codebook, it is drawn again from the unmodified distribution.
    /// 0 disables it. Applies to audio codes only, in greedy mode too.
    public var rasWindowLength: Int
    public var rasMaxRepeats: Int
    /// The same seed gives the same choices; nil draws one.
    public var seed: UInt64?

    public init(temperature: Float = 1, topK: Int? = 50, topP: Double = 0.95, rasWindowLength: Int = 7,
                rasMaxRepeats: Int = 2, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.rasWindowLength = rasWindowLength
        self.rasMaxRepeats = rasMaxRepeats
        self.seed = seed
    }

    /// Argmax everywhere, no repetition-aware resampling.
    public static let greedy = SamplingOptions(temperature: 0, topK: nil, topP: 1, rasWindowLength: 0)
}

/// Draws tokens from logits as the reference's sampling does: temperature, then top-k, then top-p (the
/// order of Hugging Face's logits warpers), then a draw from the softmax; argmax when the temperature is 0.
/// Its scratch memory is allocated once, so sampling does not allocate.
public final class Sampler {
    public let options: SamplingOptions
    private var random: SeededRandom
    private var capacity = 0
    private var scores: UnsafeMutablePointer<Float>
    private var selection: UnsafeMutablePointer<Float>
    private var order: UnsafeMutablePointer<Int32>

    public init(options: SamplingOptions, capacity: Int = 0) {
        self.options = options
        random = SeededRandom(seed: options.seed ?? UInt64.random(in: .min ... .max))
        scores = .allocate(capacity: 1)
        selection = .allocate(capacity: 1)
        order = .allocate(capacity: 1)
        reserve(capacity)
    }

    deinit {
        scores.deallocate()
        selection.deallocate()
        order.deallocate()
    }

    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        scores.deallocate(); selection.deallocate(); order.deallocate()
        scores = .allocate(capacity: n)
        selection = .allocate(capacity: n)
        order = .allocate(capacity: n)
        capacity = n
    }

    /// One token id from `logits` (one logit per token).
    public func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
        let n = logits.count
        precondition(n > 0)
        if options.temperature == 0 { return Vector.argmax(logits.baseAddress!, count: n) }
        reserve(n)
        let s = scores
        let t = options.temperature
        for i in 0..<n { s[i] = t == 1 ? logits[i] : logits[i] / t }
        if let k = options.topK, k > 0, k < n {
            selection.update(from: s, count: n)
            let threshold = Self.select(selection, n, rank: k - 1)
            for i in 0..<n where s[i] < threshold { s[i] = -.infinity }
        }
        if options.topP < 1 { keepTopP(n) }
        return draw(s, n)
    }

    /// One token id from the softmax of `logits` as they are (no temperature, top-k or top-p).
    public func sampleUnprocessed(_ logits: UnsafeBufferPointer<Float>) -> Int {
        reserve(logits.count)
        scores.update(from: logits.baseAddress!, count: logits.count)
        return draw(scores, logits.count)
    }

    /// One code per codebook from `logits` (`[codebook][entries]`), then repetition-aware resampling against
    /// the last `rasWindowLength` frames of `history` (the audio-out codes so far, delayed layout).
    public func sampleFrame(_ logits: UnsafeBufferPointer<Float>, entries: Int, history: AudioCodes, into frame: inout [Int]) {
        let codebooks = frame.count
        for k in 0..<codebooks {
            frame[k] = sample(UnsafeBufferPointer(rebasing: logits[k * entries..<(k + 1) * entries]))
        }
        let window = options.rasWindowLength
        guard window > 0 else { return }
        let end = history.frameCount, start = max(0, end - window)
        for k in 0..<codebooks {
            var repeats = 0
            for t in start..<end where history[k, t] == frame[k] { repeats += 1 }
            if repeats >= options.rasMaxRepeats {
                frame[k] = sampleUnprocessed(UnsafeBufferPointer(rebasing: logits[k * entries..<(k + 1) * entries]))
            }
        }
    }

    /// Top-p over `scores[0..<n]`: sorted ascending, the tokens whose cumulative probability (their own and
    /// every smaller one's) is at most `1 - topP` are removed; the largest always stays.
    private func keepTopP(_ n: Int) {
        let s = scores
        var m = 0
        for i in 0..<n where s[i] > -.infinity {
            order[m] = Int32(i)
            m += 1
        }
        guard m > 1 else { return }
        Self.sortAscending(order, m, by: s)
        let top = s[Int(order[m - 1])]
        var sum: Float = 0
        for j in 0..<m { sum += Foundation.exp(s[Int(order[j])] - top) }
        let limit = Float(1 - options.topP)
        var cumulative: Double = 0
        for j in 0..<m - 1 {
            let i = Int(order[j])
            cumulative += Double(Foundation.exp(s[i] - top) / sum)
            guard Float(cumulative) <= limit else { break }
            s[i] = -.infinity
        }
    }

    /// A draw from `softmax(s[0..<n])`.
    private func draw(_ s: UnsafeMutablePointer<Float>, _ n: Int) -> Int {
        Vector.softmax(s, count: n)
        var total: Double = 0
        for i in 0..<n { total += Double(s[i]) }
        let u = random.nextUnit() * total
        var cumulative: Double = 0
        var last = 0
        for i in 0..<n where s[i] > 0 {
            cumulative += Double(s[i])
            last = i
            if u < cumulative { return i }
        }
        return last
    }

    /// The value of rank `rank` (0 = largest) among `a[0..<n]`, reordering `a`.
    static func select(_ a: UnsafeMutablePointer<Float>, _ n: Int, rank: Int) -> Float {
        var lo = 0, hi = n - 1
        while lo < hi {
            let x = a[lo], y = a[(lo + hi) / 2], z = a[hi]
            let pivot = max(min(x, y), min(max(x, y), z))
            // Three-way partition, descending: [lo, larger) > pivot, [larger, smaller] == pivot, (smaller, hi] < pivot.
            var larger = lo, i = lo, smaller = hi
            while i <= smaller {
                if a[i] > pivot {
                    a.swapAt(larger, i); larger += 1; i += 1
                } else if a[i] < pivot {
                    a.swapAt(i, smaller); smaller -= 1
                } else {
                    i += 1
                }
            }
            if rank < larger { hi = larger - 1 } else if rank > smaller { lo = smaller + 1 } else { return pivot }
        }
        return a[lo]
    }

    /// Heapsort of `m` indices by their keys, ascending (in place, no allocation).
    static func sortAscending(_ index: UnsafeMutablePointer<Int32>, _ m: Int, by key: UnsafePointer<Float>) {
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && key[Int(index[child])] < key[Int(index[child + 1])] { child += 1 }
                guard key[Int(index[root])] < key[Int(index[child])] else { return }
                index.swapAt(root, child)
                root = child
            }
        }
        for start in stride(from: m / 2 - 1, through: 0, by: -1) { siftDown(start, m) }
        for end in stride(from: m - 1, to: 0, by: -1) {
            index.swapAt(0, end)
            siftDown(0, end)
        }
    }
}

private extension UnsafeMutablePointer {
    func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
