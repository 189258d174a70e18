import Foundation

/// Mono audio: samples in [-1, 1] at a sample rate.
public struct Audio: Equatable, Sendable {
    public var samples: [Float]
    public var sampleRate: Int

    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0 }
}

/// A problem with an audio file, naming the file. `description` is one line, shown as is.
public struct AudioFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let problem: String

    public init(file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}

/// Audio as people hand it over (a voice clip, a clip to encode): a WAV file, or an MP3 (what a phone or a
/// download often gives), told apart by their first bytes.
public enum AudioFile {
    public static func read(_ url: URL) throws -> Audio {
        try decode(WAVFile.contents(of: url), file: url.path)
    }

    public static func decode(_ data: Data, file: String) throws -> Audio {
        if isMP3(data) { return try MP3File.decode(data, file: file) }
        if let other = otherFormat(data) {
            throw AudioFileError(file: file, "\(other), not WAV or MP3 (the two read here): convert it to WAV first "
                                 + "(e.g. ffmpeg -i IN OUT.wav)")
        }
        return try WAVFile.decode(data, file: file)
    }

    /// The audio (or other) formats people hand over most often in place of a WAV, by their first bytes.
    static func otherFormat(_ data: Data) -> String? {
        let head = [UInt8](data.prefix(12))
        func tag(_ at: Int, _ text: String) -> Bool {
            head.count >= at + text.utf8.count && Array(head[at..<at + text.utf8.count]) == Array(text.utf8)
        }
        if tag(0, "fLaC") { return "a FLAC file" }
        if tag(0, "OggS") { return "an Ogg file (Vorbis or Opus)" }
        if tag(4, "ftyp") { return "an MP4/M4A file (AAC or ALAC)" }
        if tag(0, "FORM") && (tag(8, "AIFF") || tag(8, "AIFC")) { return "an AIFF file" }
        if head.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return "a WebM/Matroska file" }
        if head.starts(with: [0x30, 0x26, 0xB2, 0x75]) { return "a WMA file" }
        return nil
    }

    /// An ID3v2 tag, or an MPEG audio frame's sync bits, first.
    public static func isMP3(_ data: Data) -> Bool {
        let head = [UInt8](data.prefix(3))
        if head == Array("ID3".utf8) { return true }
        return head.count >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0
    }
}
