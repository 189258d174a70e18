import Foundation

/// Where a recording has sound: a voice clip recorded at a key press starts and ends with the room, a
/// reference clip's silences become the cloned voice's pauses, and a generated take's silence before its
/// first word and after its last would widen the gap between lines.
public enum Silence {
    /// The span from the first to the last 20 ms frame whose level is within `floor` dB of the loudest
    /// frame's, widened by `margin` seconds each side. All of `samples` when nothing stands out.
    public static func soundingRange(_ samples: [Float], sampleRate: Int, floor: Double = -40, margin: Double = 0.15) -> Range<Int> {
        guard let span = soundingSpan(samples, sampleRate: sampleRate, floor: floor) else { return 0..<samples.count }
        let pad = Int(margin * Double(sampleRate))
        return max(0, span.lowerBound - pad)..<min(samples.count, span.upperBound + pad)
    }

    /// The 20 ms frames from the first to the last within `floor` dB of the loudest frame, as samples; nil
    /// when no frame is louder than `quietest` dBFS (silence, or the hiss of a near-silent file).
    public static func soundingSpan(_ samples: [Float], sampleRate: Int, floor: Double, quietest: Double = -90) -> Range<Int>? {
        let frame = max(1, sampleRate / 50)
        let frames = samples.count / frame
        guard frames > 0 else { return nil }
        let power: [Double] = (0..<frames).map { f in
            var sum = 0.0
            for x in samples[(f * frame)..<((f + 1) * frame)] { sum += Double(x) * Double(x) }
            return sum / Double(frame)
        }
        guard let loudest = power.max(), loudest > pow(10, quietest / 10) else { return nil }
        let threshold = loudest * pow(10, floor / 10)
        guard let first = power.firstIndex(where: { $0 >= threshold }), let last = power.lastIndex(where: { $0 >= threshold }) else {
            return nil
        }
        // The last frame reaches the end when the samples stop part way into the frame after it.
        let end = last + 1 == frames ? samples.count : (last + 1) * frame
        return (first * frame)..<end
    }
}
