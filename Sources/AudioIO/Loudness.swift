import Foundation

/// Programme loudness as ITU-R BS.1770-4 measures it (LUFS), for one channel, and the gain that brings a
/// clip to a target: what podcast and broadcast deliveries are specified in (-16 LUFS for podcasts,
/// -23 for EBU R 128 broadcast).
public enum Loudness {
    /// Rounds off the peaks of `samples[range]` above 0.8 (-1.9 dBFS) so that they approach full scale
    /// without reaching it (a tanh knee, smooth at 0.8), where sounds added together would clip.
    public static func softLimit(_ samples: inout [Float], in range: Range<Int>, knee: Float = 0.8) {
        let room = 1 - knee
        for i in range.clamped(to: samples.indices) where abs(samples[i]) > knee {
            let over = abs(samples[i]) - knee
            samples[i] = (samples[i] < 0 ? -1 : 1) * (knee + room * tanh(over / room))
        }
    }

    /// A biquad section, normalised (a0 = 1).
    public struct Biquad: Sendable {
        public var b0, b1, b2, a1, a2: Double

        /// Filters `x` (direct form I), from rest.
        func apply(_ x: [Double]) -> [Double] {
            var y = [Double](repeating: 0, count: x.count)
            var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
            for i in x.indices {
                let v = b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
                x2 = x1; x1 = x[i]
                y2 = y1; y1 = v
                y[i] = v
            }
            return y
        }
    }

    /// The K-weighting at `sampleRate`: a high shelf (+4 dB above about 1.7 kHz, the head's effect) then a
    /// high pass (about 38 Hz), designed from their analogue prototypes so that at 48 kHz they are the
    /// standard's tabulated coefficients.
    public static func kWeighting(sampleRate: Int) -> [Biquad] {
        let fs = Double(sampleRate)
        // High shelf: gain in dB, corner, Q.
        let gain = 3.999843853973347, f0 = 1681.974450955533, q = 0.7071752369554196
        var k = tan(.pi * f0 / fs)
        let vh = pow(10, gain / 20)
        let vb = pow(vh, 0.4996667741545416)
        var a0 = 1 + k / q + k * k
        let shelf = Biquad(b0: (vh + vb * k / q + k * k) / a0, b1: 2 * (k * k - vh) / a0, b2: (vh - vb * k / q + k * k) / a0,
                           a1: 2 * (k * k - 1) / a0, a2: (1 - k / q + k * k) / a0)
        // High pass: corner, Q.
        let f1 = 38.13547087602444, q1 = 0.5003270373238773
        k = tan(.pi * f1 / fs)
        a0 = 1 + k / q1 + k * k
        let highPass = Biquad(b0: 1, b1: -2, b2: 1, a1: 2 * (k * k - 1) / a0, a2: (1 - k / q1 + k * k) / a0)
        return [shelf, highPass]
    }

    /// Integrated loudness in LUFS: K-weighted mean square over 400 ms blocks overlapping by 75%, blocks
    /// under -70 LUFS dropped, then those 10 LU under the mean of the rest. A clip shorter than a block is
    /// one block. Nil when nothing passes the gates (silence).
    public static func integrated(_ samples: [Float], sampleRate: Int) -> Double? {
        guard !samples.isEmpty, sampleRate > 0 else { return nil }
        var y = samples.map(Double.init)
        for stage in kWeighting(sampleRate: sampleRate) { y = stage.apply(y) }
        // Running sums of squares make every block's mean one subtraction.
        var sums = [Double](repeating: 0, count: y.count + 1)
        for i in y.indices { sums[i + 1] = sums[i] + y[i] * y[i] }
        let block = min(y.count, Int((0.4 * Double(sampleRate)).rounded()))
        let hop = max(1, Int((0.1 * Double(sampleRate)).rounded()))
        var powers: [Double] = []
        var start = 0
        while start + block <= y.count {
            powers.append((sums[start + block] - sums[start]) / Double(block))
            start += hop
        }
        func lufs(_ power: Double) -> Double { -0.691 + 10 * log10(power) }
        let audible = powers.filter { $0 > 0 && lufs($0) > -70 }
        guard !audible.isEmpty else { return nil }
        let relativeGate = lufs(audible.reduce(0, +) / Double(audible.count)) - 10
        let kept = audible.filter { lufs($0) > relativeGate }
        return lufs(kept.reduce(0, +) / Double(kept.count))
    }

    /// The linear gain that brings `samples` to `target` LUFS, lowered where it would lift a sample's peak
    /// over `ceiling` (linear; 0.891 is -1 dBFS). 1 for silence.
    public static func gain(bringing samples: [Float], sampleRate: Int, to target: Double, ceiling: Float = 0.891) -> Float {
        guard let measured = integrated(samples, sampleRate: sampleRate) else { return 1 }
        var gain = Float(pow(10, (target - measured) / 20))
        let peak = samples.reduce(0) { max($0, abs($1)) }
        if peak * gain > ceiling { gain = ceiling / peak }
        return gain
    }
}
