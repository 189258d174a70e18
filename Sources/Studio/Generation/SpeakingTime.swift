import Foundation
import Prompt

/// How long a line can take to say before its take is running away: the model going on past the words
/// (babbling, repeating, a long silence), which would otherwise run to `max-new-tokens` (82 s at the
/// default) and hold up every line queued after it. The limit is generous, about two and a half times a
/// slow reading, so that it never cuts a line that is merely slow; sounds and songs get time of their own.
public enum SpeakingTime {
    /// Seconds any line may take, however short.
    static let floor = 4.0
    /// Seconds per word (a slow reading is 0.4), per character of scripts written without spaces (CJK, 0.25
    /// read slowly), per pause mark, per sound tag, and per song or music tag.
    static let perWord = 1.0, perSyllable = 0.6, perPause = 0.5, perSound = 4.0, perSong = 20.0

    /// The limit, in seconds, for a transcript as the model is given it (`[SPEAKERn]` and event tags as
    /// written).
    public static func limit(forSaying transcript: String) -> Double {
        var seconds = floor
        let line = ScriptLine(transcript)
        let chars = Array(transcript)
        var i = line.bodyOffset
        var inWord = false
        while i < chars.count {
            if let span = line.spans.first(where: { $0.range.lowerBound == i }) {
                let inner = String(chars[(span.range.lowerBound + 1)..<(span.range.upperBound - 1)])
                // Sounds take their time; an unknown tag is read out, which takes no longer.
                seconds += span.kind == .event && (inner.hasSuffix("start") || inner == "music") ? perSong : perSound
                i = span.range.upperBound
                inWord = false
                continue
            }
            let c = chars[i]
            if c.isWrittenWithoutSpaces {
                seconds += perSyllable
                inWord = false
            } else if c.isLetter || c.isNumber {
                // Digits are read out one word each at most ("1999": nineteen ninety-nine).
                if !inWord || c.isNumber { seconds += perWord }
                inWord = true
            } else {
                if ".,;:!?…—".contains(c) || "。，、；：！？".contains(c) { seconds += perPause }
                inWord = c == "'" || c == "-" ? inWord : false
            }
            i += 1
        }
        return seconds
    }

    /// The most generation steps a take of `transcript` may run: its limit in frames, and the steps the
    /// delay pattern takes to bring every codebook to the end.
    public static func stepLimit(forSaying transcript: String, codebooks: Int = 8) -> Int {
        Int((limit(forSaying: transcript) * Double(AudioFormat.frameRate)).rounded(.up)) + codebooks + 1
    }
}

extension Character {
    /// Ideographs, kana and other scripts whose characters are read a syllable each, with no spaces between
    /// words to count by.
    fileprivate var isWrittenWithoutSpaces: Bool {
        unicodeScalars.contains { s in
            switch s.value {
            case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FFFF, 0x0E00...0x0E7F:
                return true
            default: return false
            }
        }
    }
}
