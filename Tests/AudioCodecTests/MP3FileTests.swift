import AudioIO
import Foundation
import Testing

/// MP3 files for delivery: the frames are what the bitrate and rate say, the tag reads back, and the
/// audio decodes (gaplessly, by the Info frame) to the input brought to 44.1 kHz.
@Suite struct MP3FileTests {
    /// Two tones and a silence, 2.5 s at 24 kHz.
    static let input: [Float] = (0..<60_000).map { i in
        let t = Double(i) / 24_000
        if i >= 48_000 { return 0 }
        return Float(0.4 * sin(2 * .pi * 440 * t) + 0.2 * sin(2 * .pi * 1_250 * t))
    }

    /// The MPEG audio frames after the tag: (bitrate kbit/s, rate, mono, bytes), read from their headers.
    static func frames(_ data: [UInt8], from start: Int) -> [(bitrate: Int, rate: Int, mono: Bool, size: Int)] {
        let bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        var out: [(Int, Int, Bool, Int)] = []
        var i = start
        while i + 4 <= data.count, data[i] == 0xFF, data[i + 1] & 0xFE == 0xFA {  // MPEG-1, Layer III
            let bitrate = bitrates[Int(data[i + 2] >> 4)]
            let rate = [44_100, 48_000, 32_000][Int(data[i + 2] >> 2 & 3)]
            let size = 144_000 * bitrate / rate + Int(data[i + 2] >> 1 & 1)
            out.append((bitrate, rate, data[i + 3] >> 6 == 3, size))
            i += size
        }
        #expect(i == data.count, "the frames end at the end of the file")
        return out
    }

    @Test(arguments: [128, 192])
    func encodesDecodesAndTags(bitrate: Int) throws {
        let tags = MP3File.Tags(title: "02 Town — Ünïcode", album: "Book", artist: "Higgs Studio", track: 2)
        let data = try MP3File.encode(Self.input, sampleRate: 24_000, bitrate: bitrate, tags: tags)
        let bytes = [UInt8](data)
        #expect(Array(bytes[0..<3]) == Array("ID3".utf8) && bytes[3] == 3)
        let tagSize = 10 + (Int(bytes[6]) << 21 | Int(bytes[7]) << 14 | Int(bytes[8]) << 7 | Int(bytes[9]))
        let tagText = String(decoding: bytes[10..<tagSize].map { $0 }, as: UTF8.self)
        #expect(tagText.contains("TIT2") && tagText.contains("TALB") && tagText.contains("TRCK"))
        var title: [UInt16] = []
        let tit2 = try #require((10..<tagSize).first { Array(bytes[$0..<($0 + 4)]) == Array("TIT2".utf8) })
        let length = Int(bytes[tit2 + 4]) << 24 | Int(bytes[tit2 + 5]) << 16 | Int(bytes[tit2 + 6]) << 8 | Int(bytes[tit2 + 7])
        for k in stride(from: tit2 + 13, to: tit2 + 10 + length, by: 2) { title.append(UInt16(bytes[k]) | UInt16(bytes[k + 1]) << 8) }
        #expect(String(decoding: title, as: UTF16.self) == tags.title)

        // Every frame: the bitrate asked, 44.1 kHz, mono; the first is the Info frame.
        let frames = Self.frames(bytes, from: tagSize)
        #expect(frames.allSatisfy { $0.bitrate == bitrate && $0.rate == 44_100 && $0.mono })
        #expect(String(decoding: bytes[(tagSize + 21)..<(tagSize + 25)], as: UTF8.self) == "Info")
        let expected = try Resampler.soxr(Self.input, from: 24_000, to: 44_100)
        #expect(frames.count - 1 == (expected.count + 576 + 1152 - 1) / 1152 + 1 || frames.count - 1 == (expected.count + 576 + 1152 - 1) / 1152,
                "\(frames.count) frames for \(expected.count) samples")

        let decoded = try MP3File.decode(data, file: "x.mp3")
        #expect(decoded.sampleRate == 44_100)
        #expect(decoded.samples.count == expected.count, "gapless: \(decoded.samples.count) against \(expected.count)")
        // Aligned sample for sample: the error is the codec's, 20 dB under the signal or better.
        let n = min(decoded.samples.count, expected.count)
        var best = (lag: 0, snr: -Double.infinity)
        for lag in -3...3 {
            var signal = 0.0, noise = 0.0
            for i in 2_000..<(n - 2_000) {
                let a = Double(expected[i]), b = Double(decoded.samples[i + lag])
                signal += a * a
                noise += (a - b) * (a - b)
            }
            let snr = 10 * log10(signal / noise)
            if snr > best.snr { best = (lag, snr) }
        }
        #expect(best.lag == 0 && best.snr >= 20, "lag \(best.lag), SNR \(best.snr) dB")
        // The silence at the end stays silent.
        #expect(decoded.samples.suffix(10_000).allSatisfy { abs($0) < 0.01 })
    }

    @Test func refusesWhatItCannotDo() throws {
        #expect(throws: AudioFileError.self) { try MP3File.encode(Self.input, sampleRate: 24_000, bitrate: 150) }
        #expect(throws: AudioFileError.self) { try MP3File.decode(Data("not an mp3 at all".utf8), file: "bad.mp3") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("higgs-mp3-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("a.mp3")
        try MP3File.write(Self.input, sampleRate: 24_000, bitrate: 64, to: url)
        #expect(try MP3File.decode(Data(contentsOf: url), file: url.path).samples.count == 110_250)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.mp3"])
    }
}
