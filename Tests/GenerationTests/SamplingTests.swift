import Foundation
import Testing
import Generation

/// Sampling by construction: logits whose allowed set is known, sampled many times.
@Suite struct SamplingTests {
    static func draws(_ logits: [Float], _ options: SamplingOptions, count: Int = 3000) -> [Int: Int] {
        let sampler = Sampler(options: options)
        var seen: [Int: Int] = [:]
        logits.withUnsafeBufferPointer { l in
            for _ in 0..<count { seen[sampler.sample(l), default: 0] += 1 }
        }
        return seen
    }

    /// Logits 0, 0.01, 0.02, ...: distinct, close enough that every kept token gets drawn.
    static let ramp: [Float] = (0..<100).map { Float($0) * 0.01 }

    @Test func topKKeepsTheKLargest() {
        let seen = Self.draws(Self.ramp, SamplingOptions(temperature: 1, topK: 5, topP: 1, seed: 1))
        #expect(Set(seen.keys) == Set(95..<100))
    }

    @Test func topKKeepsTiesWithTheKthLogit() {
        var logits = Self.ramp
        logits[10] = logits[97]  // ties with the 3rd largest
        let seen = Self.draws(logits, SamplingOptions(temperature: 1, topK: 3, topP: 1, seed: 2))
        #expect(Set(seen.keys) == [10, 97, 98, 99])
    }

    @Test func topPKeepsTheSmallestSetReachingP() {
        // Probabilities 0.5, 0.3, 0.15, 0.05 and 96 tokens of negligible probability.
        var logits = [Float](repeating: -40, count: 100)
        for (i, p) in [0.5, 0.3, 0.15, 0.05].enumerated() { logits[i] = Float(Foundation.log(p)) }
        #expect(Set(Self.draws(logits, SamplingOptions(temperature: 1, topK: nil, topP: 0.9, seed: 3)).keys) == [0, 1, 2])
        #expect(Set(Self.draws(logits, SamplingOptions(temperature: 1, topK: nil, topP: 0.7, seed: 4)).keys) == [0, 1])
        #expect(Set(Self.draws(logits, SamplingOptions(temperature: 1, topK: nil, topP: 0.4, seed: 5)).keys) == [0])
        // Top-k first, then top-p on the renormalised survivors (0.5 and 0.3 become 0.625 and 0.375).
        #expect(Set(Self.draws(logits, SamplingOptions(temperature: 1, topK: 2, topP: 0.7, seed: 6)).keys) == [0, 1])
        #expect(Set(Self.draws(logits, SamplingOptions(temperature: 1, topK: 2, topP: 0.6, seed: 7)).keys) == [0])
    }

    @Test func temperatureSharpensOrFlattens() {
        let logits: [Float] = [2, 1, 0]
        for (t, expected) in [(0.5, 0.8668), (1.0, 0.6652), (2.0, 0.5065)] {
            let seen = Self.draws(logits, SamplingOptions(temperature: Float(t), topK: nil, topP: 1, seed: 8), count: 6000)
            let share = Double(seen[0, default: 0]) / 6000
            #expect(abs(share - expected) < 0.03, "temperature \(t): share of the top token \(share)")
        }
        let greedy = Self.draws([0.3, 0.9, 0.9, -1], .greedy, count: 50)
        #expect(greedy == [1: 50])
    }

    @Test func seedsRepeat() {
        func run(_ seed: UInt64) -> [Int] {
            let sampler = Sampler(options: SamplingOptions(temperature: 1, topK: 50, topP: 0.95, seed: seed))
            return Self.ramp.withUnsafeBufferPointer { l in (0..<200).map { _ in sampler.sample(l) } }
        }
        #expect(run(42) == run(42))
        #expect(run(42) != run(43))
    }

    /// Repetition-aware sampling redraws a codebook's code exactly when that code occurs at least
    /// `rasMaxRepeats` times among the codebook's last `rasWindowLength` codes. The redraw comes from the
    /// unmodified softmax, here nearly uniform, so a redraw almost never gives the greedy choice back.
    @Test func rasResamplesExactlyWhenTheWindowRuleSays() throws {
        let entries = 1026, favourite = 5
        var logits = [Float](repeating: 0, count: 2 * entries)
        logits[favourite] = 0.001                // codebook 0's argmax
        logits[entries + favourite] = 0.001      // codebook 1's argmax
        let other = 77
        // Window 4, two repeats. History (oldest first) per codebook:
        let cases: [(history: [Int], resampled: Bool)] = [
            ([favourite, other, other, other, other], false),      // the repeat lies outside the window
            ([other, favourite, other, other, other], false),      // one occurrence in the window
            ([favourite, favourite, other, other, other], false),  // only one of the two in the window
            ([other, favourite, other, other, favourite], true),   // two in the window
            ([other, other, favourite, favourite, favourite], true),
        ]
        for (history, resampled) in cases {
            // Codebook 1 never repeats: it must keep its greedy choice.
            let codes = try AudioCodes(rows: [history, Array(repeating: other, count: history.count)])
            var changed = 0
            for seed in 0..<40 {
                let sampler = Sampler(options: SamplingOptions(temperature: 0, topK: nil, topP: 1, rasWindowLength: 4,
                                                               rasMaxRepeats: 2, seed: UInt64(seed)))
                var frame = [0, 0]
                logits.withUnsafeBufferPointer { sampler.sampleFrame($0, entries: entries, history: codes, into: &frame) }
                #expect(frame[1] == favourite)
                if frame[0] != favourite { changed += 1 }
            }
            if resampled {
                #expect(changed >= 38, "history \(history): redrawn \(changed) of 40")
            } else {
                #expect(changed == 0, "history \(history): redrawn \(changed) of 40")
            }
        }
    }

    @Test func rasOffNeverResamples() throws {
        let logits: [Float] = [0, 0.001, 0]
        let codes = try AudioCodes(rows: [[1, 1, 1, 1]])
        let sampler = Sampler(options: SamplingOptions(temperature: 0, topK: nil, topP: 1, rasWindowLength: 0, seed: 9))
        for _ in 0..<20 {
            var frame = [0]
            logits.withUnsafeBufferPointer { sampler.sampleFrame($0, entries: 3, history: codes, into: &frame) }
            #expect(frame == [1])
        }
    }
}
