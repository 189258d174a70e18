import AudioCodec
import AudioIO
import Foundation
import Generation
import TestSupport
import Testing

/// `higgs decode` and `higgs encode` do what the library does, through files.
@Suite struct CodecCommandTests {
    @Test func decodeWritesTheDecodeOfTheCodesFile() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenizerFolder = try CheckpointFixtures.audioTokenizer(in: folder)
        var rng = SystemRandomNumberGenerator()
        let codes = try AudioCodes(rows: (0..<8).map { _ in (0..<30).map { _ in Int.random(in: 0..<1024, using: &rng) } })
        let chunk = CodesFile.Chunk(text: "x", promptIDs: [1], codes: codes)
        try CodesFile.encode([chunk, chunk]).write(to: folder.appendingPathComponent("in.json"))

        let result = try CLI.run(["decode", "--audio-tokenizer", tokenizerFolder.path, "--codes", "in.json",
                                  "--out-path", "out.wav", "--float"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try AudioTokenizer(folder: tokenizerFolder).decode(CodesFile.codes(of: [chunk, chunk]))
        let wav = try WAVFile.read(folder.appendingPathComponent("out.wav"))
        #expect(wav.samples == expected)

        let missing = try CLI.run(["decode", "--audio-tokenizer", tokenizerFolder.path, "--codes", "none.json", "--out-path", "x.wav"], in: folder)
        #expect(missing.status != 0 && missing.stderr.contains("none.json: file not found"))

        // Codes this tokenizer cannot decode name the codes file.
        let seven = try AudioCodes(rows: Array(codes.rows.prefix(7)))
        try CodesFile.encode([CodesFile.Chunk(text: "x", promptIDs: [1], codes: seven)]).write(to: folder.appendingPathComponent("seven.json"))
        let wrong = try CLI.run(["decode", "--audio-tokenizer", tokenizerFolder.path, "--codes", "seven.json", "--out-path", "x.wav"], in: folder)
        #expect(wrong.status != 0 && wrong.stderr.contains("seven.json: codes have 7 codebooks, the tokenizer has 8"), "\(wrong.stderr)")
    }

    /// Without `--audio-tokenizer`, decode and encode find the tokenizer where the studio does, and say where
    /// they looked when it is not there.
    @Test func theTokenizerIsFoundAsTheStudioFindsIt() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let codes = try AudioCodes(rows: (0..<8).map { q in (0..<12).map { (q * 131 + $0 * 17) % 1024 } })
        try CodesFile.encode([CodesFile.Chunk(text: "x", promptIDs: [1], codes: codes)]).write(to: folder.appendingPathComponent("in.json"))

        let nowhere = try CLI.run(["decode", "--codes", "in.json", "--out-path", "out.wav"], in: folder)
        #expect(nowhere.status != 0)
        #expect(nowhere.stderr.contains("no audio tokenizer: looked for the audio tokenizer in ~/models/higgs-audio-v2-tokenizer "
                                        + "(the default; set --audio-tokenizer or $HIGGS_AUDIO_TOKENIZER)"), "\(nowhere.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.wav").path))

        // The default folder under the home directory.
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("models"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("models/higgs-audio-v2-tokenizer"),
                                                   withDestinationURL: tokenizer)
        let decoded = try CLI.run(["decode", "--codes", "in.json", "--out-path", "out.wav", "--float"], in: folder)
        #expect(decoded.status == 0, "\(decoded.stderr)")
        let expected = try AudioTokenizer(folder: tokenizer).decode(codes)
        #expect(try WAVFile.read(folder.appendingPathComponent("out.wav")).samples == expected)

        // The variable comes before the default folder: here it names a folder with no weights.
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let encoded = try CLI.run(["encode", "--audio", "out.wav", "--codes-out", "back.json"], in: folder,
                                  environment: ["HIGGS_AUDIO_TOKENIZER": empty.path])
        #expect(encoded.status != 0 && encoded.stderr.contains("looked for the audio tokenizer in ~/empty (from $HIGGS_AUDIO_TOKENIZER)"),
                "\(encoded.stderr)")
        let again = try CLI.run(["encode", "--audio", "out.wav", "--codes-out", "back.json"], in: folder)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(CodesFile.codes(of: try CodesFile.read(folder.appendingPathComponent("back.json"))).frameCount == 12)
    }

    @Test func encodeWritesTheCodesOfTheClip() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenizerFolder = try CheckpointFixtures.audioTokenizer(in: folder)
        let samples = (0..<22050).map { Float(0.3 * sin(Double($0) * 0.05) + 0.1 * sin(Double($0) * 0.31)) }
        let wav = folder.appendingPathComponent("clip.wav")
        try WAVFile.write(samples, sampleRate: 22050, to: wav, format: .pcm16)

        let result = try CLI.run(["encode", "--audio-tokenizer", tokenizerFolder.path, "--audio", "clip.wav",
                                  "--codes-out", "clip.json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let tokenizer = try AudioTokenizer(folder: tokenizerFolder)
        try tokenizer.loadEncoder()
        let expected = try tokenizer.encode(WAVFile.read(wav))
        let written = CodesFile.codes(of: try CodesFile.read(folder.appendingPathComponent("clip.json")))
        #expect(written == expected && written.frameCount == 25)

        try Data("RIFF????WAVE".utf8).write(to: folder.appendingPathComponent("bad.wav"))
        let bad = try CLI.run(["encode", "--audio-tokenizer", tokenizerFolder.path, "--audio", "bad.wav", "--codes-out", "b.json"], in: folder)
        #expect(bad.status != 0 && bad.stderr.contains("bad.wav"))

        // Audio in a format not read here is named for what it is, with what to do (pass 7, D5: "expected a WAV").
        for (name, head) in [("take.flac", "fLaC\0\0\0\u{22}"), ("take.ogg", "OggS\0\u{2}"), ("take.m4a", "\0\0\0\u{20}ftypM4A "),
                             ("take.aiff", "FORM\0\0\u{10}\0AIFF")] {
            try Data((head + String(repeating: "x", count: 200)).utf8).write(to: folder.appendingPathComponent(name))
            let other = try CLI.run(["encode", "--audio-tokenizer", tokenizerFolder.path, "--audio", name, "--codes-out", "o.json"], in: folder)
            let kind = ["flac": "a FLAC file", "ogg": "an Ogg file", "m4a": "an MP4/M4A file", "aiff": "an AIFF file"][name.split(separator: ".")[1]]!
            #expect(other.status == 1 && other.stderr.contains("\(name): \(kind)") && other.stderr.contains("not WAV or MP3")
                    && other.stderr.contains("convert it to WAV"), "\(other.stderr)")
        }
    }
}
