import Foundation
import Prompt

/// How long a line can take to say before its take is running away: the model going on past the words
/// (babbling, repeating, a long silence), which would otherwise run to `max-new-tokens` (82 s at the
/// default) and hold up every line queued after it. The limit is generous, about two and a half times a
/// slow reading, so that it never cuts a line that is merely slow; sounds and songs get time of their own.
/// The same count at an ordinary pace estimates how long generating lines will take.
public enum SpeakingTime {
    /// Seconds a line takes at a pace: at least `floor`, and so much a word, a character of scripts
    /// written without spaces (CJK), a pause mark, a sound tag and a song or music tag.
    struct Pace {
        var floor, perWord, perSyllable, perPause, perSound, perSong: Double
    }

    /// The runaway limit: 2.5 times a slow reading (0.4 s a word), with room for sounds and songs.
    static let runaway = Pace(floor: 4, perWord: 1, perSyllable: 0.6, perPause: 0.5, perSound: 4, perSong: 20)
    /// An ordinary reading (150 words a minute), for estimates of how long generating will take.
    static let typical = Pace(floor: 0.5, perWord: 0.4, perSyllable: 0.25, perPause: 0.2, perSound: 1.5, perSong: 8)

    /// The limit, in seconds, for a transcript as the model is given it (`[SPEAKERn]` and event tags as
    /// written).
    public static func limit(forSaying transcript: String) -> Double { seconds(transcript, at: runaway) }

    /// How long the line would take said at an ordinary pace, in seconds.
    public static func expected(forSaying transcript: String) -> Double { seconds(transcript, at: typical) }

    /// Why a take of `transcript` would not hold it all: said at an ordinary pace it lasts longer than
    /// `maxNewTokens` generation steps make (the delay pattern's steps at the end counted); nil when it fits.
    public static func beyondMaxNewTokens(_ transcript: String, maxNewTokens: Int, codebooks: Int = 8) -> String? {
        let needed = expected(forSaying: transcript)
        let room = Double(maxNewTokens - codebooks - 1) / Double(AudioFormat.frameRate)
        guard needed > room else { return nil }
        // In tenths where whole seconds would read the same ("82 s, more than ... (82 s)").
        let tenths = String(format: "%.0f", needed) == String(format: "%.0f", max(0, room))
        let format = tenths ? "about %.1f s of speech, more than max-new-tokens (%d) makes (%.1f s): its take would stop before its end; split the line"
            : "about %.0f s of speech, more than max-new-tokens (%d) makes (%.0f s): its take would stop before its end; split the line"
        return String(format: format, needed, maxNewTokens, max(0, room))
    }

    static func seconds(_ transcript: String, at pace: Pace) -> Double {
        var seconds = pace.floor
        let line = ScriptLine(transcript)
        let chars = Array(transcript)
        var i = line.bodyOffset
        var inWord = false
        while i < chars.count {
            if let span = line.spans.first(where: { $0.range.lowerBound == i }) {
                let inner = String(chars[(span.range.lowerBound + 1)..<(span.range.upperBound - 1)])
                // Sounds take their time; an unknown tag is read out, which takes no longer.
                seconds += span.kind == .event && (inner.hasSuffix("start") || inner == "music") ? pace.perSong : pace.perSound
                i = span.range.upperBound
                inWord = false
                continue
            }
            let c = chars[i]
            if c.isWrittenWithoutSpaces {
                seconds += pace.perSyllable
                inWord = false
            } else if c.isLetter || c.isNumber {
                // Digits are read out one word each at most ("1999": nineteen ninety-nine).
                if !inWord || c.isNumber { seconds += pace.perWord }
                inWord = true
            } else {
                if ".,;:!?…—".contains(c) || "。，、；：！？".contains(c) { seconds += pace.perPause }
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
