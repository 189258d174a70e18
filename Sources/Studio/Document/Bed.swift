import Foundation

/// A sound laid under the dialogue from a note on: `# bed: rain.wav -18 dB` (a file, WAV or MP3, looped,
/// at that gain; -24 dB when none is given) starts one, `# bed: none` ends it. Room tone under a scene,
/// music under a podcast's opening.
public enum BedNote: Equatable, Sendable {
    case start(file: String, gain: Double)
    case stop

    /// The gain of a bed written without one: well under the voices.
    public static let defaultGain = -24.0

    /// The value of a `# bed:` note; nil when it names no file and is not `none`/`off`/empty.
    init?(_ value: String) {
        let text = value.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || ["none", "off"].contains(text.lowercased()) {
            self = .stop
            return
        }
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var gain = BedNote.defaultGain
        // A gain at the end: `-18 dB`, `-18dB` or `-18`.
        if words.count >= 2, words.last?.lowercased() == "db" { words.removeLast() }
        if words.count >= 2, let last = words.last {
            let number = last.lowercased().hasSuffix("db") ? String(last.dropLast(2)) : last
            if let value = ScriptLine.number(number), value.isFinite, value <= 12, value >= -60 {
                gain = value
                words.removeLast()
            }
        }
        self = .start(file: words.joined(separator: " "), gain: gain)
    }
}
