import AudioCodec
import AudioIO
import Foundation
import Generation
import TestSupport
import Testing

@Suite struct VoiceCodeCacheTests {
    @Test func encodesOnceAndCachesOutsideTheVoicesFolder() throws {
        let voices = try Fixtures.temporaryFolder("voices")
        let cacheFolder = try Fixtures.temporaryFolder("voice-cache")
        defer {
            try? FileManager.default.removeItem(at: voices)
            try? FileManager.default.removeItem(at: cacheFolder)
        }
        let clip = voices.appendingPathComponent("narrator.wav")
        try FileManager.default.copyItem(at: Fixtures.url(TokenizerFixture.target, "encode/mono16k.wav"), to: clip)
        let tokenizer = TokenizerFixture.tokenizer
        let expected = try tokenizer.encode(try WAVFile.read(clip))

        let cache = VoiceCodeCache(tokenizer: tokenizer, folder: cacheFolder)
        #expect(try cache.codes(forClip: clip) == expected)
        // One cache file, nothing new beside the clip.
        #expect(try FileManager.default.contentsOfDirectory(atPath: voices.path) == ["narrator.wav"])
        let cached = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path)
        #expect(cached.count == 1 && cached[0].hasSuffix(".json"))

        // A new cache over the same folder reads the file instead of encoding: prove it by
        // planting different (valid) codes there.
        let planted = try AudioCodes(rows: expected.rows.map { $0.map { ($0 + 1) % tokenizer.codebookSize } })
        try planted.codesFile(frameRate: 25).write(to: cacheFolder.appendingPathComponent(cached[0]))
        #expect(try VoiceCodeCache(tokenizer: tokenizer, folder: cacheFolder).codes(forClip: clip) == planted)
        // The first cache still answers from memory.
        #expect(try cache.codes(forClip: clip) == expected)

        // A damaged cache file is re-encoded; a changed clip is a different entry.
        try Data("not json".utf8).write(to: cacheFolder.appendingPathComponent(cached[0]))
        #expect(try VoiceCodeCache(tokenizer: tokenizer, folder: cacheFolder).codes(forClip: clip) == expected)
        try FileManager.default.removeItem(at: clip)
        try FileManager.default.copyItem(at: Fixtures.url(TokenizerFixture.target, "encode/mono24k.wav"), to: clip)
        let other = try VoiceCodeCache(tokenizer: tokenizer, folder: cacheFolder).codes(forClip: clip)
        #expect(other != expected && other.frameCount == 30)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).count == 2)

        // Missing and broken clips name the file.
        let missing = voices.appendingPathComponent("nobody.wav")
        #expect(throws: AudioFileError(file: missing.path, "file not found")) { try cache.codes(forClip: missing) }
    }

    /// Two callers asking at once for a clip not yet encoded: one encodes it, the other waits for its codes.
    @Test func aClipAskedForTwiceAtOnceIsEncodedOnce() throws {
        let clip = Fixtures.url(TokenizerFixture.target, "encode/mono16k.wav")
        let tokenizer = TokenizerFixture.tokenizer
        let cache = VoiceCodeCache(tokenizer: tokenizer, folder: nil)
        final class Box: @unchecked Sendable { var codes: AudioCodes? }
        let boxes = [Box(), Box()]
        let group = DispatchGroup()
        for box in boxes {
            group.enter()
            Thread {
                box.codes = try? cache.codes(forClip: clip)
                group.leave()
            }.start()
        }
        group.wait()
        let expected = try tokenizer.encode(try WAVFile.read(clip))
        #expect(boxes.allSatisfy { $0.codes == expected })
        #expect(cache.encoded == 1)
        #expect(try cache.codes(forClip: clip) == expected && cache.encoded == 1)
    }

    /// A clip over a minute is refused before it is encoded (minutes of work the line could not stop).
    @Test func aClipOverAMinuteIsRefused() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("long.wav")
        try WAVFile.write([Float](repeating: 0.1, count: 61 * 16_000), sampleRate: 16_000, to: clip, format: .pcm16)
        let cache = VoiceCodeCache(tokenizer: TokenizerFixture.tokenizer, folder: nil)
        #expect(throws: AudioFileError(file: clip.path, "61 s of audio: a voice clip over 60 s is not used (it would take minutes to encode, "
                                        + "and make every prompt long); cut it to 5 to 20 s of one person speaking")) {
            try cache.codes(forClip: clip)
        }
        #expect(cache.encoded == 0)
    }

    @Test func defaultFolderIsUnderTheUserCache() {
        let folder = VoiceCodeCache.defaultFolder
        #expect(folder?.path.hasSuffix("higgs-studio/voice-codes") == true)
    }
}
