import Foundation

/// Speech made a little faster or slower without changing its pitch, by waveform-similarity overlap-add
/// (WSOLA): 20 ms Hann-windowed pieces are taken from the input at the new pace and laid half a piece
/// apart, each shifted by up to 5 ms to where its waveform best continues the piece before it, so that
/// the voice's periods line up instead of beating. Good for the few percent a dub's line needs to fit its
/// cue; far from 1 it smears.
public enum TimeStretch {
    /// `samples` over exactly `length` samples.
    public static func fit(_ samples: [Float], to length: Int, sampleRate: Int) -> [Float] {
        guard length > 0 else { return [] }
        guard length != samples.count, samples.count > 0 else {
            return samples + [Float](repeating: 0, count: max(0, length - samples.count))
        }
        let hop = max(1, sampleRate / 100)
        let size = 2 * hop
        let reach = max(1, sampleRate / 200)
        let pace = Double(samples.count) / Double(length)
        // Reads past either end are silence.
        let input = [Float](repeating: 0, count: reach) + samples + [Float](repeating: 0, count: size + 2 * reach + hop)
        let window = (0..<size).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(size))) }
        var out = [Float](repeating: 0, count: length + size)
        var weight = [Float](repeating: 0, count: length + size)
        var previous = reach  // where the last piece was taken from, in `input`
        var k = 0
        while k * hop < length {
            var from = reach + Int((Double(k * hop) * pace).rounded())
            if k > 0 {
                // The piece that best continues the last one: the input just after it, compared sample by sample.
                let natural = previous + hop
                var best = -Float.infinity
                for candidate in (from - reach)...(from + reach) {
                    var score: Float = 0
                    for n in 0..<size { score += input[candidate + n] * input[natural + n] }
                    if score > best { best = score; from = candidate }
                }
            }
            for n in 0..<size {
                out[k * hop + n] += window[n] * input[from + n]
                weight[k * hop + n] += window[n]
            }
            previous = from
            k += 1
        }
        // The windows sum to one wherever two overlap; the first half piece had one alone.
        return (0..<length).map { weight[$0] > 1e-3 ? out[$0] / max(weight[$0], 0.5) : out[$0] }
    }
}
