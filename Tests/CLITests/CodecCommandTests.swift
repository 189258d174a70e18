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
    }
}
