import AudioIO
import Foundation

/// ACX's (Audible's) requirements for the audio of each file of an audiobook, measured on the file's
/// samples: RMS between -23 and -18 dB, peaks at -3 dB or lower, a noise floor of -60 dB or lower, 0.5 to
/// 1 s of room tone before the first word and 1 to 5 s after the last, 120 minutes at most. Levels are
/// dB of full scale, a full-scale sine's RMS reading -3 dB, as ACX's own check reads them.
public struct AudiobookCheck: Equatable, Sendable {
    public var rms: Double
    public var peak: Double
    /// The quietest half second's RMS (minus infinity for digital silence).
    public var noiseFloor: Double
    /// Seconds before the first sound (above -50 dB) and after the last.
    public var head: Double
    public var tail: Double
    public var minutes: Double
    /// What fails, each with ACX's limit; empty when the file passes.
    public var problems: [String]

    /// The room tone an audiobook export puts around each chapter, in seconds.
    public static let leadIn = 0.75, tailOut = 2.0
    /// The peak ceiling (linear, -3.5 dB) lines are levelled under in an audiobook export.
    public static let ceiling: Float = 0.668

    public init(_ samples: [Float], sampleRate: Int) {
        func decibels(_ x: Double) -> Double { x > 0 ? 20 * log10(x) : -.infinity }
        let squares = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        rms = decibels(samples.isEmpty ? 0 : (squares / Double(samples.count)).squareRoot())
        peak = decibels(Double(samples.map(abs).max() ?? 0))
        // The quietest half second, stepping a tenth of a second.
        let window = min(samples.count, sampleRate / 2), hop = max(1, sampleRate / 10)
        var quietest = Double.infinity
        if window > 0 {
            for start in stride(from: 0, through: samples.count - window, by: hop) {
                let sum = samples[start..<(start + window)].reduce(0.0) { $0 + Double($1) * Double($1) }
                quietest = min(quietest, (sum / Double(window)).squareRoot())
            }
        }
        noiseFloor = decibels(quietest.isFinite ? quietest : 0)
        let sound: Float = 0.003_16  // -50 dB: above any acceptable room tone
        let first = samples.firstIndex { abs($0) > sound } ?? samples.count
        let last = samples.lastIndex { abs($0) > sound }.map { $0 + 1 } ?? first
        head = Double(first) / Double(sampleRate)
        tail = Double(samples.count - last) / Double(sampleRate)
        minutes = Double(samples.count) / Double(sampleRate) / 60

        var problems: [String] = []
        if !(-23...(-18)).contains(rms) { problems.append(String(format: "RMS %.1f dB (ACX: -23 to -18)", rms)) }
        if peak > -3 { problems.append(String(format: "peak %.1f dB (ACX: -3 or lower)", peak)) }
        if noiseFloor > -60 { problems.append(String(format: "noise floor %.1f dB (ACX: -60 or lower)", noiseFloor)) }
        if !(0.5...1).contains(head) { problems.append(String(format: "%.2f s of room tone first (ACX: 0.5 to 1)", head)) }
        if !(1...5).contains(tail) { problems.append(String(format: "%.2f s of room tone last (ACX: 1 to 5)", tail)) }
        if minutes > 120 { problems.append(String(format: "%.0f minutes long (ACX: 120 at most)", minutes)) }
        self.problems = problems
    }

    /// One line: the measures, then what fails.
    public var summary: String {
        let floor = noiseFloor.isFinite ? String(format: "%.1f dB", noiseFloor) : "silent"
        let measures = String(format: "RMS %.1f dB, peak %.1f dB, noise floor %@, room tone %.2f s and %.2f s, %.1f min",
                              rms, peak, floor, head, tail, minutes)
        return problems.isEmpty ? "passes (\(measures))" : "fails: \(problems.joined(separator: "; ")) (\(measures))"
    }
}
