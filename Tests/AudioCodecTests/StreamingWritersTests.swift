import AudioIO
import Foundation
import TestSupport
import Testing

/// Writers that take an export a block at a time: whatever the blocks, the file is the one the whole-array
/// writers make, and a writer dropped midway leaves nothing behind.
@Suite struct StreamingWritersTests {
    /// `seconds` of a 24 kHz test signal: a chirp from 100 Hz to 8 kHz, two steady tones and a little noise
    /// (a fixed generator, so every run sees the same samples).
    static func signal(seconds: Double, rate: Int = 24_000) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<Int(seconds * Double(rate))).map { i in
            let t = Double(i) / Double(rate)
            let chirp = sin(2 * .pi * (100 * t + (8_000 - 100) / (2 * seconds) * t * t))
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(Int64(bitPattern: state) >> 11) / Double(1 << 52)
            return Float(0.3 * chirp + 0.2 * sin(2 * .pi * 440 * t) + 0.1 * sin(2 * .pi * 3_000 * t) + 0.01 * noise)
        }
    }

    /// `samples` cut into blocks of uneven sizes, empty ones among them.
    static func blocks(_ samples: [Float]) -> [ArraySlice<Float>] {
        let sizes = [0, 1, 4_801, 0, 777, 65_537, 3, 12_000, 0, 150_001]
        var out: [ArraySlice<Float>] = []
        var at = 0, k = 0
        while at < samples.count {
            let n = min(sizes[k % sizes.count], samples.count - at)
            out.append(samples[at..<(at + n)])
            at += n
            k += 1
        }
        out.append(samples[samples.count...])
        return out
    }

    // MARK: WAV

    @Test(arguments: [WAVFile.SampleFormat.pcm16, .float32])
    func wavWriterMatchesWriteByteForByte(format: WAVFile.SampleFormat) throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Out of range and NaN too, which PCM clamps and silences.
        let samples = Self.signal(seconds: 10) + [1.5, -1.5, 1, -1, .nan, 0.49999, -0.25]
        for (name, input) in [("empty", [Float]()), ("signal", samples)] {
            let whole = folder.appendingPathComponent("\(name)-whole.wav")
            let streamed = folder.appendingPathComponent("\(name)-streamed.wav")
            try WAVFile.write(input, sampleRate: 24_000, to: whole, format: format)
            let writer = try WAVWriter(url: streamed, sampleRate: 24_000, format: format)
            #expect(!FileManager.default.fileExists(atPath: streamed.path), "nothing at the destination before finish")
            for block in Self.blocks(input) { try writer.append(block) }
            try writer.finish()
            let expected = try Data(contentsOf: whole)
            #expect(try Data(contentsOf: streamed) == expected, "\(name), \(format)")
            #expect(expected.count == (format == .pcm16 ? 44 + 2 * input.count : 58 + 4 * input.count))
            #expect(throws: AudioFileError.self) { try writer.append([0.5]) }
            #expect(throws: AudioFileError.self) { try writer.finish() }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
                == ["empty-streamed.wav", "empty-whole.wav", "signal-streamed.wav", "signal-whole.wav"])
    }

    @Test func wavWriterDroppedMidwayLeavesTheFileAlone() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("book.wav")
        try WAVFile.write([0.1, 0.2], sampleRate: 24_000, to: url)
        let before = try Data(contentsOf: url)
        do {
            let writer = try WAVWriter(url: url, sampleRate: 24_000)
            try writer.append(Self.signal(seconds: 1))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 2, "a temporary file beside it")
        }
        #expect(try Data(contentsOf: url) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["book.wav"])
        #expect(throws: AudioFileError.self) { try WAVWriter(url: url, sampleRate: 0) }
        let missing = folder.appendingPathComponent("no/such/folder/a.wav")
        #expect { try WAVWriter(url: missing, sampleRate: 24_000) } throws: { error in
            (error as? AudioFileError)?.file == missing.path
        }
    }

    // MARK: Resampling

    /// 24 -> 44.1 kHz (MP3 export) and back, and 16 -> 24 kHz (a voice clip): the blocks' outputs put
    /// together are `Resampler.soxr`'s, sample for sample, and as long.
    @Test(arguments: [(24_000, 44_100), (44_100, 24_000), (16_000, 24_000), (24_000, 24_000)])
    func streamingResamplerMatchesSoxr(from: Int, to: Int) throws {
        let input = Self.signal(seconds: 3, rate: from)
        let whole = try Resampler.soxr(input, from: from, to: to)
        let resampler = try StreamingResampler(from: from, to: to)
        var streamed: [Float] = []
        for block in Self.blocks(input) {
            streamed += try block.withUnsafeBufferPointer { try resampler.process($0) }
        }
        streamed += try resampler.finish()
        #expect(streamed.count == Int((Double(input.count) * Double(to) / Double(from)).rounded(.up)))
        #expect(streamed.count == whole.count)
        let difference = zip(streamed, whole).map { abs($0 - $1) }.max() ?? 0
        #expect(streamed == whole, "largest difference \(difference)")
        #expect(throws: AudioFileError.self) { try resampler.process([0.5]) }
        #expect(throws: AudioFileError.self) { try resampler.finish() }
    }

    /// Lengths around the edges: nothing, a sample, less than the filter's delay, an odd count.
    @Test func streamingResamplerLengths() throws {
        for count in [0, 1, 7, 100, 2_999, 24_001] {
            let input = Array(Self.signal(seconds: 2).prefix(count))
            let resampler = try StreamingResampler(from: 24_000, to: 44_100)
            var streamed = try resampler.process(input)
            streamed += try resampler.finish()
            #expect(streamed == (try Resampler.soxr(input, from: 24_000, to: 44_100)), "\(count) samples")
            #expect(streamed.count == (count * 44_100 + 23_999) / 24_000)
        }
        #expect(throws: AudioFileError.self) { try StreamingResampler(from: 0, to: 44_100) }
    }

    // MARK: MP3

    @Test func mp3WriterMatchesEncodeByteForByte() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = Self.signal(seconds: 4)
        let tags = MP3File.Tags(title: "Chapter 1", album: "Book", artist: "Higgs Studio", track: 1,
                                chapters: [.init(title: "One", start: 0, end: 2), .init(title: "Two", start: 2, end: 4)])
        let expected = try MP3File.encode(input, sampleRate: 24_000, bitrate: 128, tags: tags)
        let url = folder.appendingPathComponent("book.mp3")
        let writer = try MP3Writer(url: url, sampleRate: 24_000, bitrate: 128, tags: tags)
        for block in Self.blocks(input) { try writer.append(block) }
        #expect(!FileManager.default.fileExists(atPath: url.path), "nothing at the destination before finish")
        try writer.finish()
        #expect(try Data(contentsOf: url) == expected)
        #expect(throws: AudioFileError.self) { try writer.append([0.5]) }

        // MP3File.write streams through the writer: the same bytes again.
        let written = folder.appendingPathComponent("written.mp3")
        try MP3File.write(input, sampleRate: 24_000, bitrate: 128, tags: tags, to: written)
        #expect(try Data(contentsOf: written) == expected)
        let decoded = try MP3File.decode(Data(contentsOf: url), file: url.path)
        #expect(decoded.samples.count == (input.count * 44_100 + 23_999) / 24_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["book.mp3", "written.mp3"])
    }

    @Test func mp3WriterDroppedMidwayLeavesTheFileAlone() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("book.mp3")
        try Data("old".utf8).write(to: url)
        do {
            let writer = try MP3Writer(url: url, sampleRate: 24_000, bitrate: 64)
            try writer.append(Self.signal(seconds: 1))
            // Decoding while a writer is open: the library lock is not held between calls.
            let clip = try MP3File.encode(Self.signal(seconds: 0.5), sampleRate: 24_000, bitrate: 64)
            #expect(try MP3File.decode(clip, file: "clip.mp3").samples.count == 22_050)
        }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["book.mp3"])
        #expect { try MP3Writer(url: url, sampleRate: 24_000, bitrate: 150) } throws: { error in
            (error as? AudioFileError)?.file == url.path
        }
    }
}
