import Foundation

/// An MP3 file written a block at a time, for exports too long to hold whole: each block is brought to
/// 44.1 kHz and encoded as it comes, so memory stays one block however long the book. The bytes are those
/// `MP3File.encode` gives for all the samples at once. The file appears at `url` only on `finish`,
/// atomically; a writer dropped before that (an export failing midway) leaves `url` as it was.
public final class MP3Writer: SampleSink {
    public let url: URL
    private let resampler: StreamingResampler
    private let encoder: MP3File.Encoder
    private var file: PendingFile?
    /// Where the audio starts, after the ID3 tag: the Info frame goes there at the end.
    private let audioStart: Int
    private var audioBytes = 0

    /// Creates the temporary file beside `url` and writes the ID3 tag.
    public init(url: URL, sampleRate: Int, bitrate: Int, tags: MP3File.Tags = .init()) throws {
        self.url = url
        encoder = try MP3File.Encoder(bitrate: bitrate, file: url.path)
        resampler = try StreamingResampler(from: sampleRate, to: MP3File.sampleRate)
        let tag = MP3File.id3(tags)
        audioStart = tag.count
        let file = try PendingFile(beside: url)
        try file.write(tag)
        self.file = file
    }

    /// Appends samples (mono, at the rate given, in [-1, 1]).
    public func append(_ samples: UnsafeBufferPointer<Float>) throws {
        let file = try open()
        try encode(resampler.process(samples), to: file)
    }

    /// Encodes the last of the audio, writes the Info frame over the placeholder LAME left as the first
    /// frame, flushes the file to disk and renames it onto `url`. Nothing can be appended afterwards.
    public func finish() throws {
        let file = try open()
        self.file = nil
        try encode(resampler.finish(), to: file)
        try encoder.flush { try write($0, to: file) }
        let info = encoder.infoFrame()
        if !info.isEmpty && info.count <= audioBytes {
            try info.withUnsafeBytes { try file.overwrite($0, at: audioStart) }
        }
        try file.commit()
    }

    private func encode(_ pcm: [Float], to file: PendingFile) throws {
        try pcm.withUnsafeBufferPointer { p in try encoder.encode(p) { try write($0, to: file) } }
    }

    private func write(_ bytes: UnsafeRawBufferPointer, to file: PendingFile) throws {
        try file.write(bytes)
        audioBytes += bytes.count
    }

    /// The file while it is being written; an error once finished.
    private func open() throws -> PendingFile {
        guard let file else { throw AudioFileError(file: url.path, "the MP3 file is already finished") }
        return file
    }
}
