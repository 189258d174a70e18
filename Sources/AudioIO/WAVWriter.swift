import Foundation

/// A mono WAV file written a block at a time, for exports too long to hold whole (ten hours of 24 kHz
/// audio is 3.5 GB as floats): memory stays one block however long the file. The bytes are those
/// `WAVFile.write` gives for all the samples at once, however they were split. The file appears at `url`
/// only on `finish`, atomically; a writer dropped before that (an export failing midway) leaves `url` as it was.
public final class WAVWriter: SampleSink {
    public let url: URL
    private let sampleRate: Int
    private let format: WAVFile.SampleFormat
    private var file: PendingFile?
    private var count = 0
    /// Reused for each block's bytes.
    private var bytes: [UInt8] = []
    /// Converted and written this many samples at a time, so a long append costs no more memory than a short one.
    private static let block = 65_536

    /// Creates the temporary file beside `url`, with a header whose sizes `finish` fills in.
    public init(url: URL, sampleRate: Int, format: WAVFile.SampleFormat = .pcm16) throws {
        guard sampleRate > 0 else { throw AudioFileError(file: url.path, "cannot write a sample rate of \(sampleRate) Hz") }
        self.url = url
        self.sampleRate = sampleRate
        self.format = format
        let file = try PendingFile(beside: url)
        try file.write(WAVFile.header(samples: 0, sampleRate: sampleRate, format: format))
        self.file = file
    }

    /// Appends samples (clamped to [-1, 1] for PCM, as `WAVFile.encode` does).
    public func append(_ samples: UnsafeBufferPointer<Float>) throws {
        let file = try open()
        guard (count + samples.count) * format.width <= WAVFile.maximumDataSize else {
            throw AudioFileError(file: url.path, "\(count + samples.count) samples are too many for a WAV file")
        }
        var start = 0
        while start < samples.count {
            let n = min(Self.block, samples.count - start)
            if bytes.count < n * format.width { bytes = [UInt8](repeating: 0, count: Self.block * format.width) }
            let piece = UnsafeBufferPointer(rebasing: samples[start..<(start + n)])
            try bytes.withUnsafeMutableBytes { raw in
                WAVFile.store(piece, as: format, into: raw)
                try file.write(UnsafeRawBufferPointer(rebasing: raw[0..<(n * format.width)]))
            }
            start += n
        }
        count += samples.count
    }

    /// Fills in the header's sizes, flushes the file to disk and renames it onto `url`. Nothing can be
    /// appended afterwards.
    public func finish() throws {
        let file = try open()
        self.file = nil
        try WAVFile.header(samples: count, sampleRate: sampleRate, format: format).withUnsafeBytes {
            try file.overwrite($0, at: 0)
        }
        try file.commit()
    }

    /// The file while it is being written; an error once finished (or failed: the file is then gone).
    private func open() throws -> PendingFile {
        guard let file else { throw AudioFileError(file: url.path, "the WAV file is already finished") }
        return file
    }
}

/// A file that takes mono samples a block at a time (`WAVWriter`, `MP3Writer`).
public protocol SampleSink: AnyObject {
    func append(_ samples: UnsafeBufferPointer<Float>) throws
}

extension SampleSink {
    public func append(_ samples: [Float]) throws {
        try samples.withUnsafeBufferPointer { try append($0) }
    }

    public func append(_ samples: ArraySlice<Float>) throws {
        try samples.withUnsafeBufferPointer { try append($0) }
    }
}
