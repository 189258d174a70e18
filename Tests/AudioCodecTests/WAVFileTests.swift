import AudioIO
import Foundation
import TestSupport
import Testing

/// Builds WAV bytes by hand, so the reader is tested against layouts our writer never produces.
private struct WAVBuilder {
    var formatTag: UInt16 = 1
    var channels: UInt16 = 1
    var sampleRate: UInt32 = 16000
    var bits: UInt16 = 16
    var extensibleSubformat: UInt16?
    var extraChunks: [(String, [UInt8])] = []
    var payload: [UInt8] = []
    var declaredDataSize: UInt32?

    func bytes() -> [UInt8] {
        var fmt: [UInt8] = []
        func put16(_ v: UInt16, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func put32(_ v: UInt32, _ a: inout [UInt8]) { for i in 0..<4 { a.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
        let blockAlign = channels * bits / 8
        put16(extensibleSubformat == nil ? formatTag : 0xFFFE, &fmt)
        put16(channels, &fmt)
        put32(sampleRate, &fmt)
        put32(sampleRate * UInt32(blockAlign), &fmt)
        put16(blockAlign, &fmt)
        put16(bits, &fmt)
        if let sub = extensibleSubformat {
            put16(22, &fmt)
            put16(bits, &fmt)
            put32(channels == 2 ? 3 : 4, &fmt)
            put16(sub, &fmt)
            fmt += [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        }
        var body: [UInt8] = Array("WAVE".utf8)
        for (id, content) in extraChunks {
            body += Array(id.utf8); put32(UInt32(content.count), &body); body += content
            if content.count % 2 == 1 { body.append(0) }
        }
        body += Array("fmt ".utf8); put32(UInt32(fmt.count), &body); body += fmt
        body += Array("data".utf8); put32(declaredDataSize ?? UInt32(payload.count), &body); body += payload
        var out: [UInt8] = Array("RIFF".utf8)
        put32(UInt32(body.count), &out)
        return out + body
    }
}

private func le16(_ values: [Int16]) -> [UInt8] { values.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] } }

private func decodeError(_ bytes: [UInt8]) -> String? {
    do {
        _ = try WAVFile.decode(Data(bytes), file: "clip.wav")
        return nil
    } catch let error as AudioFileError {
        return error.description
    } catch {
        return "unexpected \(error)"
    }
}

@Suite struct WAVFileTests {
    @Test func pcm16RoundTripThroughAFile() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples: [Float] = (0..<1000).map { sin(Float($0) * 0.05) * 0.8 } + [1.5, -1.5, 1, -1, 0]
        let url = folder.appendingPathComponent("tone.wav")
        try WAVFile.write(samples, sampleRate: 24000, to: url, format: .pcm16)
        let audio = try WAVFile.read(url)
        #expect(audio.sampleRate == 24000)
        #expect(audio.samples.count == samples.count)
        // Written as round(x * 32767) after clamping (as libsndfile does), read back over 32768.
        let mismatches = zip(audio.samples, samples).filter { a, b in a * 32768 != (min(max(b, -1), 1) * 32767).rounded() }
        #expect(mismatches.isEmpty)
        #expect(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int == 44 + 2 * samples.count)
        // The temporary file was renamed into place, nothing is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["tone.wav"])
    }

    @Test func float32RoundTripIsExact() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples: [Float] = (0..<777).map { Float($0) / 777 - 0.5 } + [2.5, -3]
        let url = folder.appendingPathComponent("f.wav")
        try WAVFile.write(samples, sampleRate: 44100, to: url, format: .float32)
        let audio = try WAVFile.read(url)
        #expect(audio == Audio(samples: samples, sampleRate: 44100))
        // Overwriting replaces the file whole.
        try WAVFile.write([0.25], sampleRate: 8000, to: url, format: .float32)
        #expect(try WAVFile.read(url) == Audio(samples: [0.25], sampleRate: 8000))
    }

    @Test func pcm16BytesAreTheCanonicalHeader() {
        let data = WAVFile.encode([0, 1, -1, 0.5], sampleRate: 24000, format: .pcm16)
        let expected: [UInt8] = Array("RIFF".utf8) + [44, 0, 0, 0] + Array("WAVEfmt ".utf8)
            + [16, 0, 0, 0, 1, 0, 1, 0, 0xC0, 0x5D, 0, 0, 0x80, 0xBB, 0, 0, 2, 0, 16, 0] + Array("data".utf8)
            + [8, 0, 0, 0, 0, 0, 0xFF, 0x7F, 0x01, 0x80, 0x00, 0x40]
        #expect(Array(data) == expected)
    }

    @Test func readsStereoMixedDownAndOtherDepths() throws {
        var stereo = WAVBuilder(channels: 2, sampleRate: 44100)
        stereo.payload = le16([16384, -16384, 32767, 32767, -32768, 0])
        let mixed = try WAVFile.decode(Data(stereo.bytes()), file: "s.wav")
        #expect(mixed.sampleRate == 44100)
        #expect(mixed.samples == [0, 32767.0 / 32768, -0.5])

        var pcm24 = WAVBuilder(sampleRate: 22050, bits: 24)
        pcm24.payload = [0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F, 0x00, 0x00, 0x40]
        #expect(try WAVFile.decode(Data(pcm24.bytes()), file: "a").samples == [-1, 8_388_607.0 / 8_388_608, 0.5])

        var pcm32 = WAVBuilder(bits: 32)
        pcm32.payload = [0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0xC0]
        #expect(try WAVFile.decode(Data(pcm32.bytes()), file: "a").samples == [-1, -0.5])

        var float = WAVBuilder(formatTag: 3, bits: 32)
        float.payload = [Float(0.25), -0.75].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        #expect(try WAVFile.decode(Data(float.bytes()), file: "a").samples == [0.25, -0.75])

        // Extensible headers carry the real format in the sub-format GUID; other chunks come first.
        var extensible = WAVBuilder(channels: 2, sampleRate: 48000, bits: 24, extensibleSubformat: 1)
        extensible.extraChunks = [("LIST", Array("INFOabc".utf8))]
        extensible.payload = [0x00, 0x00, 0x40, 0x00, 0x00, 0x40]
        let e = try WAVFile.decode(Data(extensible.bytes()), file: "a")
        #expect(e == Audio(samples: [0.5], sampleRate: 48000))

        var extensibleFloat = WAVBuilder(channels: 1, bits: 32, extensibleSubformat: 3)
        extensibleFloat.payload = withUnsafeBytes(of: Float(-0.125).bitPattern.littleEndian) { Array($0) }
        #expect(try WAVFile.decode(Data(extensibleFloat.bytes()), file: "a").samples == [-0.125])

        // A streamed file with the data size left at 0xFFFFFFFF runs to the end.
        var streamed = WAVBuilder()
        streamed.payload = le16([8192, 8192])
        streamed.declaredDataSize = 0xFFFF_FFFF
        #expect(try WAVFile.decode(Data(streamed.bytes()), file: "a").samples == [0.25, 0.25])
    }

    /// Writing over a link replaces the file it points to and keeps the link; a pipe, a device or a folder in the
    /// way is refused, left as it was (a rename would have put a file in its place, and its reader got nothing).
    @Test func aLinkIsWrittenThroughAndWhatIsNoFileIsRefused() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("target.wav"), link = folder.appendingPathComponent("link.wav")
        try Data("old".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        try WAVFile.write([0.25, -0.25], sampleRate: 24_000, to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path)
        #expect(try WAVFile.read(target).samples.count == 2)

        let pipe = folder.appendingPathComponent("pipe.wav")
        #expect(mkfifo(pipe.path, 0o644) == 0)
        #expect(throws: AudioFileError(file: pipe.path, "is a pipe: audio is written to a file, give a file's path")) {
            try WAVFile.write([0.25], sampleRate: 24_000, to: pipe)
        }
        #expect(throws: AudioFileError(file: "/dev/null", "is a device: audio is written to a file, give a file's path")) {
            try WAVWriter(url: URL(fileURLWithPath: "/dev/null"), sampleRate: 24_000)
        }
        #expect(throws: AudioFileError(file: folder.path, "is a folder: audio is written to a file, give a file's path")) {
            try WAVFile.write([0.25], sampleRate: 24_000, to: folder)
        }
        var info = stat()
        #expect(lstat(pipe.path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["link.wav", "pipe.wav", "target.wav"])
    }

    @Test func badFilesGiveOneLineErrorsNamingTheFile() throws {
        var good = WAVBuilder()
        good.payload = le16([1, 2, 3, 4])
        let bytes = good.bytes()

        #expect(decodeError([]) == "clip.wav: empty file (zero length), not a WAV file")
        #expect(decodeError(Array("OggS0000WAVEfmt ".utf8))?.contains("not a RIFF file") == true)
        #expect(decodeError(Array(bytes[0..<10]))?.contains("truncated") == true)
        #expect(decodeError(Array(bytes[0..<30]))?.contains("truncated: 'fmt ' chunk declares 16 bytes but only 10 remain") == true,
                "\(decodeError(Array(bytes[0..<30])) ?? "")")
        #expect(decodeError(Array(bytes.dropLast(3)))?.contains("truncated: data chunk declares 8 bytes but only 5 remain") == true)

        var empty = WAVBuilder()
        empty.payload = []
        #expect(decodeError(empty.bytes()) == "clip.wav: no audio samples (zero length)")

        let mulaw = WAVBuilder(formatTag: 7, bits: 8)
        #expect(decodeError(mulaw.bytes())?.contains("unsupported format: mu-law") == true)
        let twelve = WAVBuilder(bits: 12)
        #expect(decodeError(twelve.bytes())?.contains("unsupported format") == true)
        var notWave = bytes
        notWave.replaceSubrange(8..<12, with: Array("AVI ".utf8))
        #expect(decodeError(notWave)?.contains("not WAVE") == true)

        // Every truncation of a valid file is an error or a shorter valid read, never a crash.
        for cut in 0..<bytes.count {
            _ = decodeError(Array(bytes[0..<cut]))
        }

        let missing = URL(fileURLWithPath: "/nonexistent-folder/voice.wav")
        #expect(throws: AudioFileError(file: missing.path, "file not found")) { try WAVFile.read(missing) }
        #expect(throws: AudioFileError.self) { try WAVFile.write([0], sampleRate: 24000, to: missing) }
        for error in [decodeError([]), decodeError(mulaw.bytes())] {
            #expect(error?.contains("\n") == false)
        }
    }
}
