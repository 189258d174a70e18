import CLame
import Foundation

/// MP3 files, for delivery: podcast hosts and audiobook platforms take MP3 (ACX asks for 192 kbps constant
/// bitrate at 44.1 kHz). Encoding is LAME's, mono at 44.1 kHz (the audio is brought there by the same
/// libsoxr resampling as everything else), with a LAME "Info" frame that tells players the encoder's delay
/// and padding, so the file plays exactly as long as the audio; and an ID3v2.3 tag (title, album, artist,
/// track). Decoding (mpglib, in the same library) reads such files back gaplessly, and any other MP3.
public enum MP3File {
    /// What the ID3 tag says; empty texts are left out.
    public struct Tags: Equatable, Sendable {
        public var title: String
        public var album: String
        public var artist: String
        /// The track number (a chapter's), nil for none.
        public var track: Int?
        /// Chapters within the file (podcast apps show them and skip between them), times in seconds.
        public var chapters: [Chapter]

        public struct Chapter: Equatable, Sendable {
            public var title: String
            public var start: Double
            public var end: Double

            public init(title: String, start: Double, end: Double) {
                self.title = title
                self.start = start
                self.end = end
            }
        }

        public init(title: String = "", album: String = "", artist: String = "", track: Int? = nil, chapters: [Chapter] = []) {
            self.title = title
            self.album = album
            self.artist = artist
            self.track = track
            self.chapters = chapters
        }
    }

    /// The rate of the files written.
    public static let sampleRate = 44_100
    /// MPEG-1 Layer III's bitrates at 44.1 kHz, in kbit/s.
    public static let bitrates = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    /// The decoder's own delay, in samples, on top of the encoder's (mpglib's, as LAME's gapless decode skips it).
    static let decoderDelay = 528 + 1
    /// One encoder or decoder at a time. mpglib fills its global tables on first use behind a flag it sets
    /// before filling them, so a second decoder starting meanwhile decodes with half-filled tables: the
    /// tests, running in parallel, decoded noise about one run in six before this.
    private static let library = NSLock()

    /// The MP3 file of `samples` (mono, any rate, in [-1, 1]) at `bitrate` kbit/s, constant.
    public static func encode(_ samples: [Float], sampleRate rate: Int, bitrate: Int, tags: Tags = Tags()) throws -> Data {
        guard bitrates.contains(bitrate) else {
            let known = bitrates.map(String.init).joined(separator: ", ")
            throw AudioFileError(file: "mp3", "\(bitrate) kbit/s is not an MP3 bitrate (\(known))")
        }
        let pcm = try Resampler.soxr(samples, from: rate, to: sampleRate)
        library.lock()
        defer { library.unlock() }
        guard let lame = lame_init() else { throw AudioFileError(file: "mp3", "LAME could not start") }
        defer { lame_close(lame) }
        lame_set_num_channels(lame, 1)
        lame_set_in_samplerate(lame, Int32(sampleRate))
        lame_set_out_samplerate(lame, Int32(sampleRate))
        lame_set_mode(lame, MONO)
        lame_set_VBR(lame, vbr_off)
        lame_set_brate(lame, Int32(bitrate))
        lame_set_quality(lame, 2)  // LAME's "near best": its slower psychoacoustics, still many times real time
        lame_set_bWriteVbrTag(lame, 1)
        lame_set_write_id3tag_automatic(lame, 0)
        guard lame_init_params(lame) >= 0 else {
            throw AudioFileError(file: "mp3", "LAME refused \(bitrate) kbit/s mono at \(sampleRate) Hz")
        }

        var audio = Data()
        let block = 8192
        var buffer = [UInt8](repeating: 0, count: block + block / 4 + 7200)  // LAME's worst case for a block
        var at = 0
        while at < pcm.count {
            let n = min(block, pcm.count - at)
            let written = pcm.withUnsafeBufferPointer { p in
                // Mono: LAME reads the first channel only.
                lame_encode_buffer_ieee_float(lame, p.baseAddress! + at, p.baseAddress! + at, Int32(n), &buffer,
                                              Int32(buffer.count))
            }
            guard written >= 0 else { throw AudioFileError(file: "mp3", "LAME failed to encode (\(written))") }
            audio.append(buffer, count: Int(written))
            at += n
        }
        let flushed = lame_encode_flush(lame, &buffer, Int32(buffer.count))
        guard flushed >= 0 else { throw AudioFileError(file: "mp3", "LAME failed to finish (\(flushed))") }
        audio.append(buffer, count: Int(flushed))
        // The first frame was a placeholder for the Info frame, which can only be written now.
        var info = [UInt8](repeating: 0, count: 4096)
        let infoSize = lame_get_lametag_frame(lame, &info, info.count)
        if infoSize > 0 && infoSize <= info.count && infoSize <= audio.count {
            audio.replaceSubrange(0..<infoSize, with: info[0..<infoSize])
        }
        return id3(tags) + audio
    }

    /// Writes the file atomically.
    public static func write(_ samples: [Float], sampleRate rate: Int, bitrate: Int, tags: Tags = Tags(), to url: URL) throws {
        do {
            try WAVFile.writeAtomically(try encode(samples, sampleRate: rate, bitrate: bitrate, tags: tags), to: url)
        } catch let error as AudioFileError where error.file == "mp3" {
            throw AudioFileError(file: url.path, error.problem)
        }
    }

    /// The audio of an MP3 file (mono: the channels' mean), without the encoder's delay and padding where
    /// an Info or Xing frame gives them.
    public static func decode(_ data: Data, file: String) throws -> Audio {
        var bytes = [UInt8](data)
        // An ID3v2 tag first: its size is in 7-bit bytes.
        var start = 0
        if bytes.count >= 10, bytes[0] == 0x49, bytes[1] == 0x44, bytes[2] == 0x33 {
            start = 10 + (Int(bytes[6]) << 21 | Int(bytes[7]) << 14 | Int(bytes[8]) << 7 | Int(bytes[9]))
        }
        library.lock()
        defer { library.unlock() }
        guard start < bytes.count, let hip = hip_decode_init() else { throw AudioFileError(file: file, "no MP3 audio in it") }
        defer { hip_decode_exit(hip) }
        var left = [Int16](repeating: 0, count: 4608), right = [Int16](repeating: 0, count: 4608)
        var header = mp3data_struct()
        var delay: Int32 = -1, padding: Int32 = -1
        var samples: [Float] = []
        var rate = 0, channels = 1
        // Fed a piece at a time, as from a file; after each piece the decoder hands out the frames it can
        // finish, one a call, until it needs more: two empty answers in a row (the first can be the one
        // that read a header).
        let piece = 4096
        var at = start
        while at < bytes.count {
            let length = min(piece, bytes.count - at)
            var n = bytes.withUnsafeMutableBufferPointer { b in
                hip_decode1_headersB(hip, b.baseAddress! + at, length, &left, &right, &header, &delay, &padding)
            }
            at += length
            var empty = 0
            while true {
                if n < 0 { throw AudioFileError(file: file, "not an MP3 stream the decoder can read") }
                if header.header_parsed == 1 {
                    rate = Int(header.samplerate)
                    channels = Int(header.stereo)
                }
                if n == 0 {
                    empty += 1
                    if empty == 2 { break }
                } else {
                    empty = 0
                    for i in 0..<Int(n) {
                        samples.append(channels == 2 ? (Float(left[i]) + Float(right[i])) / 65_536 : Float(left[i]) / 32_768)
                    }
                }
                n = hip_decode1_headersB(hip, &bytes, 0, &left, &right, &header, &delay, &padding)
            }
        }
        guard rate > 0, !samples.isEmpty else { throw AudioFileError(file: file, "no MP3 audio in it") }
        if delay >= 0, padding >= 0 {
            let skip = min(samples.count, Int(delay) + decoderDelay)
            let end = max(skip, samples.count - max(0, Int(padding) - decoderDelay))
            samples = Array(samples[skip..<end])
        }
        return Audio(samples: samples, sampleRate: rate)
    }

    /// An ID3v2.3 tag: text frames in UTF-16 with a byte-order mark, the form every player reads, and the
    /// ID3 chapter frames (a `CTOC` table of contents, then a `CHAP` per chapter with its title).
    static func id3(_ tags: Tags) -> Data {
        func bigEndian(_ value: UInt32) -> Data { withUnsafeBytes(of: value.bigEndian) { Data($0) } }
        func frame(_ id: String, _ body: Data) -> Data {
            Data(id.utf8) + bigEndian(UInt32(body.count)) + Data([0, 0]) + body
        }
        func text(_ id: String, _ value: String) -> Data {
            guard !value.isEmpty else { return Data() }
            var body = Data([1, 0xFF, 0xFE])  // UTF-16, little-endian by its mark
            for unit in value.utf16 { body.append(contentsOf: [UInt8(unit & 0xFF), UInt8(unit >> 8)]) }
            return frame(id, body)
        }
        var frames = text("TIT2", tags.title) + text("TALB", tags.album) + text("TPE1", tags.artist)
            + text("TRCK", tags.track.map(String.init) ?? "") + text("TSSE", "Higgs Studio (LAME)")
        if !tags.chapters.isEmpty {
            let ids = tags.chapters.indices.prefix(255).map { "chp\($0)" }
            // Top level and ordered; the children's element ids, each ending in a zero byte.
            var toc = Data("toc".utf8) + Data([0, 0x03, UInt8(ids.count)])
            for id in ids { toc += Data(id.utf8) + Data([0]) }
            frames += frame("CTOC", toc)
            for (id, chapter) in zip(ids, tags.chapters) {
                let ms = { (t: Double) in UInt32(max(0, (t * 1000).rounded())) }
                // Times in milliseconds; byte offsets unused (all ones).
                let body = Data(id.utf8) + Data([0]) + bigEndian(ms(chapter.start)) + bigEndian(ms(chapter.end))
                    + bigEndian(.max) + bigEndian(.max) + text("TIT2", chapter.title)
                frames += frame("CHAP", body)
            }
        }
        let size = frames.count
        var tag = Data("ID3".utf8) + Data([3, 0, 0])
        tag.append(contentsOf: [UInt8(size >> 21 & 0x7F), UInt8(size >> 14 & 0x7F), UInt8(size >> 7 & 0x7F), UInt8(size & 0x7F)])
        return tag + frames
    }
}
