import Foundation

/// Where a recording has sound: a voice clip recorded at a key press starts and ends with the room, and
/// a reference clip's silences become the cloned voice's pauses.
public enum Silence {
    /// The span from the first to the last 20 ms frame whose level is within `floor` dB of the loudest
    /// frame's, widened by `margin` seconds each side. All of `samples` when nothing stands out.
    public static func soundingRange(_ samples: [Float], sampleRate: Int, floor: Double = -40, margin: Double = 0.15) -> Range<Int> {
        let frame = max(1, sampleRate / 50)
        let frames = samples.count / frame
        guard frames > 0 else { return 0..<samples.count }
        let power: [Double] = (0..<frames).map { f in
            var sum = 0.0
            for x in samples[(f * frame)..<((f + 1) * frame)] { sum += Double(x) * Double(x) }
            return sum / Double(frame)
        }
        guard let loudest = power.max(), loudest > 0 else { return 0..<samples.count }
        let threshold = loudest * pow(10, floor / 10)
        guard let first = power.firstIndex(where: { $0 >= threshold }), let last = power.lastIndex(where: { $0 >= threshold }) else {
            return 0..<samples.count
        }
        let pad = Int(margin * Double(sampleRate))
        return max(0, first * frame - pad)..<min(samples.count, (last + 1) * frame + pad)
    }
}
