import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// RIFF/WAVE files: read any common PCM or float layout to mono, write 16-bit PCM or float32.
public enum WAVFile {
    /// Sample encodings `write` can produce.
    public enum SampleFormat: Sendable {
        case pcm16
        case float32
    }

    /// Files larger than this are refused rather than read into memory (about 1.5 hours of
    /// 48 kHz stereo float): a reference clip is seconds long.
    public static let maximumFileSize = 2_000_000_000

    // MARK: Reading

    /// Reads a WAV file and mixes its channels down to mono (the mean of the channels, as librosa does).
    /// Integer samples are scaled by 2^-(bits-1), so 16-bit -32768 reads as -1.
    public static func read(_ url: URL) throws -> Audio {
        try decode(contents(of: url), file: url.path)
    }

    /// The bytes of an audio file given as input, with one-line errors naming it (not found, unreadable, too
    /// large to be a clip).
    static func contents(of url: URL) throws -> Data {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            if let size = attributes[.size] as? Int, size > maximumFileSize {
                throw AudioFileError(file: url.path, "file is \(size) bytes, larger than the \(maximumFileSize)-byte limit for audio input")
            }
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch let error as AudioFileError {
            throw error
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw AudioFileError(file: url.path, exists ? "cannot read the file" : "file not found")
        }
    }

    /// Decodes the bytes of a WAV file; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> Audio {
        try data.withUnsafeBytes { try decode(bytes: $0, file: file) }
    }

    private struct Layout {
        var encoding: Encoding
        var channels: Int
        var sampleRate: Int
        var bytesPerFrame: Int
    }

    private enum Encoding {
        case unsigned8, int16, int24, int32, float32, float64
        var bytes: Int {
            switch self {
            case .unsigned8: return 1
            case .int16: return 2
            case .int24: return 3
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }
    }

    private static func decode(bytes: UnsafeRawBufferPointer, file: String) throws -> Audio {
        func fail(_ problem: String) -> AudioFileError { AudioFileError(file: file, problem) }
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
        func tag(_ at: Int) -> String { String(decoding: bytes[at..<at + 4], as: UTF8.self) }

        if bytes.isEmpty { throw fail("empty file (zero length), not a WAV file") }
        guard bytes.count >= 12 else { throw fail("truncated: \(bytes.count) bytes, too short for a RIFF header") }
        let riff = tag(0)
        if riff == "RF64" || riff == "BW64" { throw fail("unsupported format: \(riff) (64-bit WAV); convert it to a plain RIFF WAV") }
        guard riff == "RIFF" else { throw fail("not a RIFF file (starts with \(printable(bytes[0..<4]))), expected a WAV file") }
        guard tag(8) == "WAVE" else { throw fail("RIFF file of form \(printable(bytes[8..<12])), not WAVE") }

        var layout: Layout?
        var dataRange: Range<Int>?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = tag(offset)
            let declared = Int(u32(offset + 4))
            let body = offset + 8
            if id == "data" {
                guard let format = layout else { throw fail("data chunk comes before the fmt chunk") }
                // Streaming writers leave the size at 0xFFFFFFFF: the data then runs to the end.
                var size = declared
                if declared == 0xFFFF_FFFF { size = bytes.count - body }
                guard body + size <= bytes.count else {
                    throw fail("truncated: data chunk declares \(size) bytes but only \(bytes.count - body) remain")
                }
                size -= size % format.bytesPerFrame
                dataRange = body..<(body + size)
                break
            }
            guard body + declared <= bytes.count else {
                throw fail("truncated: \(printable(bytes[offset..<offset + 4])) chunk declares \(declared) bytes but only \(bytes.count - body) remain")
            }
            if id == "fmt " {
                layout = try parseFormat(bytes, at: body, size: declared, fail: fail)
            }
            offset = body + declared + (declared & 1)
        }
        guard let format = layout else { throw fail("truncated or malformed: no fmt chunk") }
        guard let range = dataRange else { throw fail("truncated or malformed: no data chunk") }
        let frames = range.count / format.bytesPerFrame
        guard frames > 0 else { throw fail("no audio samples (zero length)") }

        var samples = [Float](repeating: 0, count: frames)
        let channels = format.channels
        let width = format.encoding.bytes
        samples.withUnsafeMutableBufferPointer { out in
            let base = bytes.baseAddress! + range.lowerBound
            for frame in 0..<frames {
                let start = base + frame * format.bytesPerFrame
                var sum: Float = 0
                for channel in 0..<channels {
                    sum += sample(start + channel * width, format.encoding)
                }
                out[frame] = channels == 1 ? sum : sum / Float(channels)
            }
        }
        return Audio(samples: samples, sampleRate: format.sampleRate)
    }

    private static func parseFormat(_ bytes: UnsafeRawBufferPointer, at body: Int, size: Int,
                                    fail: (String) -> AudioFileError) throws -> Layout {
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
        guard size >= 16 else { throw fail("malformed fmt chunk (\(size) bytes, at least 16 expected)") }
        var formatTag = Int(u16(body))
        let channels = Int(u16(body + 2))
        let sampleRate = Int(u32(body + 4))
        let blockAlign = Int(u16(body + 12))
        let bits = Int(u16(body + 14))
        if formatTag == 0xFFFE {
            // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
            guard size >= 40 else { throw fail("malformed extensible fmt chunk (\(size) bytes, 40 expected)") }
            formatTag = Int(u16(body + 24))
        }
        guard channels >= 1, channels <= 32 else { throw fail("unsupported channel count \(channels)") }
        guard sampleRate >= 1000, sampleRate <= 768_000 else { throw fail("unsupported sample rate \(sampleRate) Hz") }
        let encoding: Encoding
        switch (formatTag, bits) {
        case (1, 8): encoding = .unsigned8
        case (1, 16): encoding = .int16
        case (1, 24): encoding = .int24
        case (1, 32): encoding = .int32
        case (3, 32): encoding = .float32
        case (3, 64): encoding = .float64
        case (1, _), (3, _):
            throw fail("unsupported format: \(formatTag == 1 ? "PCM" : "float") with \(bits) bits per sample (PCM 8/16/24/32-bit or float 32/64-bit expected)")
        default:
            throw fail("unsupported format: \(formatName(formatTag)) (PCM 16/24/32-bit or float32 expected)")
        }
        guard blockAlign == channels * encoding.bytes else {
            throw fail("malformed fmt chunk: block align \(blockAlign) for \(channels) channels of \(bits) bits")
        }
        return Layout(encoding: encoding, channels: channels, sampleRate: sampleRate, bytesPerFrame: blockAlign)
    }

    @inline(__always)
    private static func sample(_ p: UnsafeRawPointer, _ encoding: Encoding) -> Float {
        switch encoding {
        case .unsigned8:
            return Float(Int(p.load(as: UInt8.self)) - 128) / 128
        case .int16:
            return Float(Int16(littleEndian: p.loadUnaligned(as: Int16.self))) / 32768
        case .int24:
            let raw = Int32(p.load(fromByteOffset: 0, as: UInt8.self)) << 8
                | Int32(p.load(fromByteOffset: 1, as: UInt8.self)) << 16
                | Int32(p.load(fromByteOffset: 2, as: UInt8.self)) << 24
            return Float(raw >> 8) / 8_388_608
        case .int32:
            return Float(Int32(littleEndian: p.loadUnaligned(as: Int32.self))) / 2_147_483_648
        case .float32:
            return Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        case .float64:
            return Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
        }
    }

    private static func formatName(_ tag: Int) -> String {
        switch tag {
        case 2: return "Microsoft ADPCM (tag 2)"
        case 6: return "A-law (tag 6)"
        case 7: return "mu-law (tag 7)"
        case 0x11: return "IMA ADPCM (tag 0x11)"
        case 0x55: return "MP3 (tag 0x55)"
        default: return "format tag \(tag)"
        }
    }

    private static func printable(_ slice: Slice<UnsafeRawBufferPointer>) -> String {
        let text = slice.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "?" }
        return "'" + String(text) + "'"
    }

    // MARK: Writing

    /// The most data bytes a file can hold: RIFF sizes are 32-bit, and the header counts in the RIFF size.
    static let maximumDataSize = Int(UInt32.max) - 64

    /// The bytes of a mono WAV file holding `samples` (clamped to [-1, 1] for PCM).
    public static func encode(_ samples: [Float], sampleRate: Int, format: SampleFormat = .pcm16) -> Data {
        var out = header(samples: samples.count, sampleRate: sampleRate, format: format)
        var body = Data(count: samples.count * format.width)
        samples.withUnsafeBufferPointer { p in body.withUnsafeMutableBytes { store(p, as: format, into: $0) } }
        out.append(body)
        return out
    }

    /// The header of a mono file of `count` samples: RIFF, fmt (with a fact chunk for float), data.
    static func header(samples count: Int, sampleRate: Int, format: SampleFormat) -> Data {
        let width = format.width
        let dataSize = count * width
        let fmtSize = format == .pcm16 ? 16 : 18
        let factSize = format == .pcm16 ? 0 : 12
        var out = Data(capacity: 12 + 8 + fmtSize + factSize + 8)
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8))
        put32(UInt32(truncatingIfNeeded: 4 + 8 + fmtSize + factSize + 8 + dataSize))
        out.append(contentsOf: Array("WAVEfmt ".utf8))
        put32(UInt32(fmtSize))
        put16(format == .pcm16 ? 1 : 3)
        put16(1)
        put32(UInt32(sampleRate))
        put32(UInt32(sampleRate * width))
        put16(UInt16(width))
        put16(UInt16(width * 8))
        if format == .float32 {
            put16(0)  // cbSize
            out.append(contentsOf: Array("fact".utf8))
            put32(4)
            put32(UInt32(truncatingIfNeeded: count))
        }
        out.append(contentsOf: Array("data".utf8))
        put32(UInt32(truncatingIfNeeded: dataSize))
        return out
    }

    /// Samples as the data chunk holds them, into `bytes` (`samples.count · format.width` of them): PCM clamped
    /// to [-1, 1] and rounded, NaN as silence; float as is. The one conversion, for `encode` and `WAVWriter`.
    static func store(_ samples: UnsafeBufferPointer<Float>, as format: SampleFormat, into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= samples.count * format.width)
        switch format {
        case .pcm16:
            for i in samples.indices {
                let x = samples[i].isNaN ? 0 : min(max(samples[i], -1), 1)
                bytes.storeBytes(of: Int16((x * 32767).rounded()).littleEndian, toByteOffset: 2 * i, as: Int16.self)
            }
        case .float32:
            for i in samples.indices {
                bytes.storeBytes(of: samples[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
    }

    /// Writes a mono WAV file atomically: a temporary file beside the target, then a rename,
    /// so a reader (or a crash) never sees half a file.
    public static func write(_ samples: [Float], sampleRate: Int, to url: URL, format: SampleFormat = .pcm16) throws {
        guard sampleRate > 0 else { throw AudioFileError(file: url.path, "cannot write a sample rate of \(sampleRate) Hz") }
        guard samples.count * format.width <= maximumDataSize else {
            throw AudioFileError(file: url.path, "\(samples.count) samples are too many for a WAV file")
        }
        try writeAtomically(encode(samples, sampleRate: sampleRate, format: format), to: url)
    }

    static func writeAtomically(_ data: Data, to url: URL) throws {
        let file = try PendingFile(beside: url)
        try file.write(data)
        try file.commit()
    }
}

extension WAVFile.SampleFormat {
    /// Bytes a sample takes.
    var width: Int { self == .pcm16 ? 2 : 4 }
}
