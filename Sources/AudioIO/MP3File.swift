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
    /// One LAME or mpglib call at a time. mpglib fills its global tables on first use behind a flag it sets
    /// before filling them, so a second decoder starting meanwhile decodes with half-filled tables: the
    /// tests, running in parallel, decoded noise about one run in six before this. LAME's `lame_init_params`
    /// likewise rewrites global tables that running encoders read.
    private static let library = NSLock()

    /// The MP3 file of `samples` (mono, any rate, in [-1, 1]) at `bitrate` kbit/s, constant.
    public static func encode(_ samples: [Float], sampleRate rate: Int, bitrate: Int, tags: Tags = Tags()) throws -> Data {
        let encoder = try Encoder(bitrate: bitrate, file: "mp3")
        let pcm = try Resampler.soxr(samples, from: rate, to: sampleRate)
        var audio = Data()
        try pcm.withUnsafeBufferPointer { p in try encoder.encode(p) { audio.append(contentsOf: $0) } }
        try encoder.flush { audio.append(contentsOf: $0) }
        // The first frame was a placeholder for the Info frame, which can only be written now.
        let info = encoder.infoFrame()
        if !info.isEmpty && info.count <= audio.count {
            audio.replaceSubrange(0..<info.count, with: info)
        }
        return id3(tags) + audio
    }

    /// Writes the file atomically, a block at a time (as `MP3Writer` does).
    public static func write(_ samples: [Float], sampleRate rate: Int, bitrate: Int, tags: Tags = Tags(), to url: URL) throws {
        let writer = try MP3Writer(url: url, sampleRate: rate, bitrate: bitrate, tags: tags)
        var at = 0
        while at < samples.count {
            let n = min(1 << 16, samples.count - at)
            try writer.append(samples[at..<(at + n)])
            at += n
        }
        try writer.finish()
    }

    /// LAME set up for the files written here (mono, 44.1 kHz in and out, constant bitrate, an Info frame),
    /// the one place that configures it, for `encode` and `MP3Writer`. Every call into LAME takes `library`,
    /// but only for that call: a writer lives as long as an export (hours of audio), and holding the lock
    /// that long would stall every other encode and decode meanwhile, and deadlock a thread that decodes
    /// while it holds a writer. Between calls a handle touches no shared state, so one call at a time is
    /// all the tables need.
    final class Encoder {
        private let lame: OpaquePointer
        private let file: String
        /// Fed to LAME this many samples at a time, its output buffer sized for LAME's worst case for one.
        private static let block = 8192
        private var buffer = [UInt8](repeating: 0, count: block + block / 4 + 7200)

        /// `file` names the file in errors.
        init(bitrate: Int, file: String) throws {
            guard bitrates.contains(bitrate) else {
                let known = bitrates.map(String.init).joined(separator: ", ")
                throw AudioFileError(file: file, "\(bitrate) kbit/s is not an MP3 bitrate (\(known))")
            }
            self.file = file
            library.lock()
            defer { library.unlock() }
            guard let lame = lame_init() else { throw AudioFileError(file: file, "LAME could not start") }
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
                lame_close(lame)
                throw AudioFileError(file: file, "LAME refused \(bitrate) kbit/s mono at \(sampleRate) Hz")
            }
            self.lame = lame
        }

        deinit {
            library.lock()
            lame_close(lame)
            library.unlock()
        }

        /// Encodes samples at 44.1 kHz, handing `emit` the MP3 bytes as they come.
        func encode(_ pcm: UnsafeBufferPointer<Float>, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
            var at = 0
            while at < pcm.count {
                let n = min(Self.block, pcm.count - at)
                let written = buffer.withUnsafeMutableBufferPointer { out in
                    library.withLock {
                        // Mono: LAME reads the first channel only.
                        lame_encode_buffer_ieee_float(lame, pcm.baseAddress! + at, pcm.baseAddress! + at, Int32(n),
                                                      out.baseAddress!, Int32(out.count))
                    }
                }
                guard written >= 0 else { throw AudioFileError(file: file, "LAME failed to encode (\(written))") }
                try buffer.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<Int(written)])) }
                at += n
            }
        }

        /// Encodes what LAME still holds and ends the stream.
        func flush(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
            let flushed = buffer.withUnsafeMutableBufferPointer { out in
                library.withLock { lame_encode_flush(lame, out.baseAddress!, Int32(out.count)) }
            }
            guard flushed >= 0 else { throw AudioFileError(file: file, "LAME failed to finish (\(flushed))") }
            try buffer.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<Int(flushed)])) }
        }

        /// The Info frame for the stream encoded (after `flush`), to go over the first frame; empty if none.
        func infoFrame() -> [UInt8] {
            var info = [UInt8](repeating: 0, count: 4096)
            let size = library.withLock { lame_get_lametag_frame(lame, &info, info.count) }
            return size > 0 && size <= info.count ? Array(info[0..<size]) : []
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
