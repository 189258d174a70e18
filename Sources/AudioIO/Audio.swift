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
        isMP3(data) ? try MP3File.decode(data, file: file) : try WAVFile.decode(data, file: file)
    }

    /// An ID3v2 tag, or an MPEG audio frame's sync bits, first.
    public static func isMP3(_ data: Data) -> Bool {
        let head = [UInt8](data.prefix(3))
        if head == Array("ID3".utf8) { return true }
        return head.count >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0
    }
}
