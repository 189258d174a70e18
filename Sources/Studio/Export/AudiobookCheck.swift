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
        if !Self.rmsRange.contains(rms) { problems.append(String(format: "RMS %.1f dB (ACX: -23 to -18)", rms)) }
        if peak > -3 { problems.append(String(format: "peak %.1f dB (ACX: -3 or lower)", peak)) }
        if noiseFloor > -60 { problems.append(String(format: "noise floor %.1f dB (ACX: -60 or lower)", noiseFloor)) }
        if !(0.5...1).contains(head) { problems.append(String(format: "%.2f s of room tone first (ACX: 0.5 to 1)", head)) }
        if !(1...5).contains(tail) { problems.append(String(format: "%.2f s of room tone last (ACX: 1 to 5)", tail)) }
        if minutes > 120 { problems.append(String(format: "%.0f minutes long (ACX: 120 at most)", minutes)) }
        self.problems = problems
    }

    /// ACX's RMS range, in dB.
    public static let rmsRange = -23.0...(-18.0)

    /// What to change so that the failing files pass, a sentence per kind of failure, for files exported with
    /// lines levelled to `loudness` (LUFS, nil for off). A file's RMS moves with the setting dB for dB (but where
    /// the peak ceiling holds a line down), so the new value is the one that brings every file nearest the middle
    /// of ACX's range; a short chapter, mostly room tone and gaps, reads quieter than a long one at the same setting.
    public static func advice(_ checks: [AudiobookCheck], loudness: Double?) -> [String] {
        var out: [String] = []
        let levels = checks.map(\.rms).filter(\.isFinite)
        if let low = levels.min(), let high = levels.max(), !levels.allSatisfy(rmsRange.contains) {
            if let loudness {
                // The shifts that bring every file into the range, and the one nearest its middle.
                let up = rmsRange.lowerBound - low, down = rmsRange.upperBound - high
                let middle = (rmsRange.lowerBound + rmsRange.upperBound) / 2 - (low + high) / 2
                var shift = middle.rounded()
                if up <= down, !(up...down).contains(shift) { shift = (middle * 10).rounded() / 10 }
                // The setting's own range.
                let target = max(-40, min(-5, loudness + shift)), moved = target - loudness
                if up > down {
                    out.append(String(format: "The files' RMS runs from %.1f to %.1f dB, wider than ACX's 5 dB, so no loudness setting "
                                      + "passes them all: the quiet ones are mostly pauses, gaps and room tone (a short chapter), or lines "
                                      + "with a `# gain:` below 0. Shorter pauses there, or a `# gain:` above 0 on their lines, bring them up.",
                                      low, high))
                } else if abs(moved) < 0.05 {
                    out.append(String(format: "The RMS (%.1f to %.1f dB) is out of ACX's range with the loudness setting at its limit (%@ LUFS): "
                                      + "`# gain:` notes move the lines further.", low, high, Self.number(loudness)))
                } else {
                    let to = high - low < 0.05 ? String(format: "to %.1f dB", low + moved)
                        : String(format: "to between %.1f and %.1f dB", low + moved, high + moved)
                    out.append(String(format: "RMS follows the loudness setting: %@ it from %@ to %@ LUFS (the RMS %@ by about %.1f dB, %@).",
                                      moved > 0 ? "raise" : "lower", Self.number(loudness), Self.number(target),
                                      moved > 0 ? "rises" : "falls", abs(moved), to))
                }
            } else {
                out.append("RMS follows the loudness setting, off now: set it (-20 LUFS is a start), which also holds each line's "
                           + "peaks under -3.5 dB.")
            }
        }
        if checks.contains(where: { $0.peak > -3 }) {
            out.append(loudness == nil ? "Peaks over -3 dB: the loudness setting holds each line's under -3.5 dB."
                : "Peaks over -3 dB come where sounds add up (lines overlapping, a bed under a line) or a `# gain:` above 0 raises a line: "
                    + "lower those.")
        }
        if checks.contains(where: { $0.noiseFloor > -60 }) {
            out.append("A noise floor over -60 dB is a bed's: a `# bed:` under the lines at -60 dB or quieter.")
        }
        if checks.contains(where: { $0.head > 1 || $0.tail > 5 }) {
            out.append("Too much room tone comes from a `# pause:` before a chapter's first line (its 0.75 s counts it), or a take "
                       + "starting or ending in silence: the trim setting cuts that.")
        }
        return out
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// One line: the measures, then what fails.
    public var summary: String {
        let floor = noiseFloor.isFinite ? String(format: "%.1f dB", noiseFloor) : "silent"
        let measures = String(format: "RMS %.1f dB, peak %.1f dB, noise floor %@, room tone %.2f s and %.2f s, %.1f min",
                              rms, peak, floor, head, tail, minutes)
        return problems.isEmpty ? "passes (\(measures))" : "fails: \(problems.joined(separator: "; ")) (\(measures))"
    }
}
