import Foundation
import Prompt

/// Who speaks a line, as written at its start: `[Mara]` (a cast name) or `[SPEAKER1]` (a prompt tag).
public enum SpeakerReference: Equatable, Hashable, Sendable {
    case name(String)
    case tag(Int)
}

/// The reference's event tags, spoken as sounds rather than words (`[laugh]` -> `<SE>[Laughter]</SE>`).
/// The text is matched exactly, as the reference does.
public enum EventTag {
    public static let all: [String] = [
        "laugh", "music", "applause", "cheering", "cough",
        "humming start", "humming end", "music start", "music end", "sing start", "sing end",
    ]

    public static func isEvent(_ inner: String) -> Bool { all.contains(inner) }
}

/// A bracketed tag inside a script line, in character offsets of the line (for highlighting).
public struct TagSpan: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The leading speaker tag; `index` is the `SPEAKERn` it stands for, nil when the name is not cast.
        case speaker(index: Int?)
        /// A known event tag.
        case event
        /// Brackets the model does not know: they would be read aloud.
        case unknown
    }

    public var range: Range<Int>
    public var kind: Kind
}

/// One script line taken apart: the leading speaker tag (if any), the spoken text, and its tags.
public struct ScriptLine: Equatable, Sendable {
    public let text: String
    public let speaker: SpeakerReference?
    /// The text after the speaker tag, without the spaces that follow the tag.
    public let body: String
    public let spans: [TagSpan]
    /// Where `body` starts, in characters.
    public let bodyOffset: Int

    /// Parses `text`; `cast` gives the names that map to `[SPEAKERn]`.
    public init(_ text: String, cast: [String] = []) {
        self.text = text
        // A note has no speaker and no tags: nothing in it is spoken. Nor has a line without a bracket. (Every
        // line is parsed on every edit: these need no characters taken apart.)
        if text.first(where: { $0 != " " && $0 != "\t" }) == "#" || !text.utf8.contains(UInt8(ascii: "[")) {
            (speaker, spans, bodyOffset, body) = (nil, [], 0, text)
            return
        }
        // Brackets and spaces are ASCII, never part of another character's bytes: the tags are found in
        // the UTF-8, and only their places are counted in characters (for the editor's cursor and colours).
        let bytes = Array(text.utf8)
        let ascii = !bytes.contains { $0 >= 0x80 }
        var counted = (byte: 0, character: 0)
        func characters(before byte: Int) -> Int {
            guard !ascii else { return byte }
            if byte < counted.byte { counted = (0, 0) }
            let utf8 = text.utf8
            counted.character += text.distance(from: utf8.index(utf8.startIndex, offsetBy: counted.byte),
                                               to: utf8.index(utf8.startIndex, offsetBy: byte))
            counted.byte = byte
            return counted.character
        }
        let (open, close, space) = (UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: " "))
        var spans: [TagSpan] = []
        var speaker: SpeakerReference?
        var bodyStart = 0
        var bodyOffset = 0
        var i = 0
        while i < bytes.count {
            guard bytes[i] == open, let end = bytes[(i + 1)...].firstIndex(where: { $0 == close || $0 == open }),
                  bytes[end] == close else {
                i += 1
                continue
            }
            let inner = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
            let leading = bytes[..<i].allSatisfy { $0 == space }
            let kind: TagSpan.Kind
            if let n = ScriptLine.speakerTagNumber(inner) {
                kind = .speaker(index: n)
                if leading && speaker == nil { speaker = .tag(n) }
            } else if EventTag.isEvent(inner) {
                kind = .event
            } else if leading && speaker == nil && !inner.isEmpty {
                speaker = .name(inner)
                kind = .speaker(index: cast.firstIndex(of: inner))
            } else {
                kind = .unknown
            }
            let from = characters(before: i)
            spans.append(TagSpan(range: from..<(characters(before: end) + 1), kind: kind))
            if leading && speaker != nil && bodyStart == 0, case .speaker = kind {
                bodyStart = end + 1
                while bodyStart < bytes.count && bytes[bodyStart] == space { bodyStart += 1 }
                bodyOffset = characters(before: bodyStart)
            }
            i = end + 1
        }
        self.speaker = speaker
        self.spans = spans
        self.bodyOffset = bodyOffset
        self.body = bodyStart == 0 ? text : String(decoding: bytes[bodyStart...], as: UTF8.self)
    }

    /// `SPEAKER12` -> 12.
    public static func speakerTagNumber(_ inner: String) -> Int? {
        guard inner.hasPrefix("SPEAKER") else { return nil }
        let digits = inner.dropFirst("SPEAKER".count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count < 6 else { return nil }
        return Int(digits)
    }

    /// Empty or only spaces.
    public var isBlank: Bool { text.allSatisfy { $0 == " " || $0 == "\t" } }

    /// A writer's note, `# ...` (a heading, a reminder): kept in the script, never spoken.
    public var isNote: Bool { text.first(where: { $0 != " " && $0 != "\t" }) == "#" }

    /// A note that heads a part of the script (a chapter, a scene, a bed, the writer's own `# ...`), not a setting of the
    /// next line (`# pause:`, `# overlap:`, `# at:`, `# tempo:`, `# gain:`, `# file:`): where `{` and `}` stop.
    public var isHeading: Bool {
        isNote && !["pause", "overlap", "at", "tempo", "gain", "file"].contains { directive($0) != nil }
    }

    /// A note `# scene: ...` changes the scene of the lines after it: `# scene: NAME` (from `Scenes/`),
    /// `# scene: none`, or `# scene: ` and a description written there. Nil for any other line.
    public var sceneChange: SceneChoice? {
        guard let value = directive("scene") else { return nil }
        if value.isEmpty || value.lowercased() == "none" { return SceneChoice.none }
        return SceneLibrary.isValidName(value) ? .named(value) : .inline(value)
    }

    /// A note `# pause: 1.5` (seconds, `s` optional, up to 60) asks for that much more silence before the
    /// next line in exports and "play from here".
    public var pauseSeconds: Double? { seconds("pause", upTo: 60) }

    /// A note `# overlap: 0.4` (seconds, `s` optional, up to 10) starts the next line that long before the
    /// line before it ends, in place of the gap: an interruption, two people talking at once.
    public var overlapSeconds: Double? { seconds("overlap", upTo: 10) }

    /// A note `# bed: FILE [GAIN dB]` or `# bed: none` starts or ends a sound under the dialogue (`BedNote`).
    public var bed: BedNote? { directive("bed").flatMap(BedNote.init) }

    /// A note `# tempo: 1.1` (or `110%`, from 0.75 to 1.33) plays the next line that much faster (or slower
    /// below 1), its pitch kept: a line the voice read too slowly for the scene.
    public var tempo: Double? {
        guard var value = directive("tempo") else { return nil }
        var scale = 1.0
        if value.hasSuffix("%") { value = value.dropLast().trimmingCharacters(in: .whitespaces); scale = 0.01 }
        guard let number = Double(value).map({ $0 * scale }), number >= 0.75, number <= 1.33 else { return nil }
        return number
    }

    /// A note `# gain: -6 dB` (or `-6`, `+3 dB`; from -40 to +12) makes the next line that much quieter or
    /// louder, after the `loudness` setting has levelled it: a whisper kept a whisper, an aside under the scene.
    public var gainDecibels: Double? {
        guard var value = directive("gain") else { return nil }
        if value.lowercased().hasSuffix("db") { value = value.dropLast(2).trimmingCharacters(in: .whitespaces) }
        guard let decibels = Self.number(value), decibels >= -40, decibels <= 12 else { return nil }
        return decibels
    }

    /// A number as people write it: also with the minus sign of typography (U+2212), which text editors and
    /// documents put where a hyphen was typed.
    static func number(_ text: String) -> Double? {
        Double(text.replacingOccurrences(of: "\u{2212}", with: "-"))
    }

    /// Why a note written as one of the notes that act (`# pause:`, `# tempo:`, ...) does nothing: its value does
    /// not read. Nil for any other line, and for a note that works.
    public var noteProblem: String? {
        guard isNote else { return nil }
        if directive("pause") != nil, pauseSeconds == nil { return "a pause is 0 to 60 seconds (# pause: 1.5)" }
        if directive("overlap") != nil, overlapSeconds == nil { return "an overlap is 0 to 10 seconds (# overlap: 0.4)" }
        if directive("at") != nil, cue == nil {
            return "a cue is a time, # at: 1:23.4, or two, # at: 00:01:23.400 --> 00:01:25.100"
        }
        if directive("tempo") != nil, tempo == nil { return "a tempo is 0.75 to 1.33, or 75% to 133% (# tempo: 1.1)" }
        if directive("gain") != nil, gainDecibels == nil { return "a gain is -40 to +12 dB (# gain: -6 dB)" }
        if directive("file") != nil, exportFileName == nil { return "a file note names the line's file (# file: guard/greet_01)" }
        return nil
    }

    /// The seconds a note `# NAME: 1.5` or `# NAME: 1.5 s` gives, from 0 to `limit`.
    private func seconds(_ name: String, upTo limit: Double) -> Double? {
        guard var value = directive(name) else { return nil }
        if value.hasSuffix("s") { value = value.dropLast().trimmingCharacters(in: .whitespaces) }
        guard let seconds = Double(value), seconds >= 0, seconds <= limit else { return nil }
        return seconds
    }

    /// A note `# at: 00:01:23.400` (or `... --> 00:01:25.100`) puts the next line at that time in exports
    /// (`Cue`); nil for any other line, or a time that does not read.
    public var cue: Cue? { directive("at").flatMap(Cue.init) }

    /// A note `# chapter: Title` starts a chapter (its own file in exports); the title may be empty.
    public var chapterTitle: String? { directive("chapter") }

    /// A note `# file: NAME` (or `folder/NAME`) names the next line's file in exports, so that a game or an
    /// app finds each line where it expects it, whatever is inserted above. Nil for an empty name.
    public var exportFileName: String? { directive("file").flatMap { $0.isEmpty ? nil : $0 } }

    /// Blank or a note: skipped by generation, context and export.
    public var saysNothing: Bool { isBlank || isNote }

    /// The value of a note `# NAME: value` (the name in any case), trimmed; nil for any other line.
    private func directive(_ name: String) -> String? {
        guard isNote else { return nil }
        let note = text.drop { $0 == " " || $0 == "\t" }.dropFirst().trimmingCharacters(in: .whitespaces)
        guard note.lowercased().hasPrefix(name + ":") else { return nil }
        return note.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }

    /// The body with event tags removed and spaces folded: what a subtitle shows.
    public var spokenText: String {
        let chars = Array(text)
        var out = ""
        var i = bodyOffset
        for span in spans where span.range.lowerBound >= bodyOffset && span.kind == .event {
            out.append(contentsOf: chars[i..<span.range.lowerBound])
            out.append(" ")
            i = span.range.upperBound
        }
        out.append(contentsOf: chars[i...])
        return out.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

extension String {
    /// Without the spaces at either end, exactly as `trimmingCharacters(in: .whitespaces)` (tabs, Unicode
    /// space separators and, in Foundation's set, the zero-width space), but without going through NSString:
    /// it runs on every line of the script on every edit, and take keys made before depend on it.
    var trimmedOfSpaces: String {
        func isSpace(_ c: Character) -> Bool {
            c.unicodeScalars.allSatisfy { $0 == "\t" || $0 == "\u{200B}" || $0.properties.generalCategory == .spaceSeparator }
        }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
