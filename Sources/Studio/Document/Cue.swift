import AudioIO
import Foundation

/// Where a line belongs in time, from a note `# at: 00:01:23.400` or `# at: 00:01:23.400 --> 00:01:25.100`:
/// a dub's line at its subtitle cue, a game's line at its moment in a cutscene. Exports start the line
/// there, and say which lines run past their cue's end or into the next cue.
public struct Cue: Equatable, Sendable {
    /// Seconds from the start of the dialogue.
    public var start: Double
    /// When the line should be over; nil when only its start is given.
    public var end: Double?

    public init(start: Double, end: Double? = nil) {
        self.start = start
        self.end = end
    }

    /// `T` or `T --> T`, each `[[H:]M:]S[.fff]` (a comma for the point too, as SubRip writes it); nil for
    /// anything else, or an end before the start.
    public init?(_ text: String) {
        let parts = text.components(separatedBy: "-->").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count <= 2, let start = Cue.seconds(parts[0]) else { return nil }
        let end = parts.count == 2 ? Cue.seconds(parts[1]) : nil
        if parts.count == 2 && (end == nil || end! < start) { return nil }
        self.init(start: start, end: end)
    }

    /// How the note writes it: `00:01:23.400 --> 00:01:25.100`.
    public var written: String {
        let start = Cue.timecode(self.start)
        return end.map { "\(start) --> \(Cue.timecode($0))" } ?? start
    }

    /// The cue's length, when it has an end.
    public var seconds: Double? { end.map { $0 - start } }

    /// `1:23.4`, `01:23,400`, `83.4` or `1:02:03.5` as seconds; nil for anything else.
    static func seconds(_ timecode: String) -> Double? {
        let fields = timecode.replacingOccurrences(of: ",", with: ".").split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(fields.count), let last = fields.last, let secs = Double(last), secs >= 0,
              last.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else { return nil }
        var total = secs
        for (k, field) in fields.dropLast().reversed().enumerated() {
            guard let n = Int(field), n >= 0, field.allSatisfy(\.isASCII) else { return nil }
            // Only the first field may pass 59 (`90:00` is an hour and a half).
            if k == 0 && fields.count == 3 && n >= 60 { return nil }
            total += Double(n) * (k == 0 ? 60 : 3600)
        }
        if fields.count > 1, secs >= 60 { return nil }
        return total
    }

    /// `HH:MM:SS.mmm`.
    static func timecode(_ seconds: Double) -> String {
        Subtitles.timestamp(Int((seconds * Double(AudioFormat.sampleRate)).rounded()), ".")
    }
}
