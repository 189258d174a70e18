import AudioCodec
import AudioIO
import Engine
import Foundation
import Generation
import Prompt
import TestSupport
import Testing

/// `higgs generate` end to end on the committed random-weight model: the codes it writes are the
/// reference CLI's for the same flags (greedy), and the WAV is their decode.
@Suite struct GenerateCommandTests {
    static let dialogues = try! Fixtures.json("EngineTests", "dialogues.json") as! [[String: Any]]

    /// Ctrl-C stops generation; what was made is written (said "interrupted"), and the status says it is not all (130),
    /// as a shell reports Ctrl-C. A seed drawn for the take is said even with --quiet: it makes the take again.
    @Test func aStoppedGenerationWritesWhatItMadeAndSaysSo() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        let turns = (0..<60).map { "[SPEAKER\($0 % 2)] Turn number \($0) of a long talk." }.joined(separator: "\n")
        let flags = ["generate", "--model", model.path, "--audio-tokenizer", tokenizer.path, "--precision", "bf16", "--transcript", turns,
                     "--chunk-method", "speaker", "--max-new-tokens", "30", "--out-path", "out.wav", "--codes-out", "out.json"]
        let result = try CLI.run(flags + ["--seed", "3"], in: folder, interruptAt: "chunk 2/")
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("(interrupted)") && result.stderr.contains("wrote out.wav"), "\(result.stderr)")
        let chunks = try CodesFile.read(folder.appendingPathComponent("out.json"))
        #expect(chunks.count >= 1 && chunks.count < 60)
        #expect(try WAVFile.read(folder.appendingPathComponent("out.wav")).samples.count > 0)

        let quiet = try CLI.run(["generate", "--model", model.path, "--audio-tokenizer", tokenizer.path, "--precision", "bf16",
                                 "--transcript", "[SPEAKER0] Hi.", "--max-new-tokens", "5", "--out-path", "q.wav", "--quiet"], in: folder)
        let said = quiet.stderr.split(separator: "\n").map(String.init)
        #expect(quiet.status == 0 && said.count == 1 && said[0].hasPrefix("seed ") && said[0].hasSuffix(" makes this take again)"), "\(said)")
    }

    /// The reference's speaker-chunked case, with its flags as the reference CLI was given them.
    @Test func speakerChunksEqualTheReferenceAndTheWAVIsTheirDecode() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try #require(Self.dialogues.first { $0["name"] as? String == "speakers-buffer-1" })
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizer = try CheckpointFixtures.audioTokenizer(in: folder)
        let transcript = folder.appendingPathComponent("transcript.txt")
        try (reference["transcript"] as! String).write(to: transcript, atomically: true, encoding: .utf8)

        let result = try CLI.run([
            "generate", "--model", model.path, "--audio-tokenizer", tokenizer.path, "--transcript", transcript.path,
            "--scene-prompt", reference["scene"] as! String, "--scenes", Fixtures.url("PromptTests", "scenes").path,
            "--voices", Fixtures.url("PromptTests", "voices").path,
            "--chunk-method", "speaker", "--chunk-max-num-turns", "\(reference["chunk_max_num_turns"] as! Int)",
            "--generation-chunk-buffer-size", "\(reference["generation_chunk_buffer_size"] as! Int)",
            "--temperature", "0", "--ras-win-len", "0", "--max-new-tokens", "\(reference["max_new_tokens"] as! Int)",
            "--out-path", "out.wav", "--codes-out", "out.json",
        ], in: folder)
        #expect(result.status == 0, "\(result.stderr)")

        let chunks = try CodesFile.read(folder.appendingPathComponent("out.json"))
        let expected = reference["chunks"] as! [[String: Any]]
        #expect(chunks.count == expected.count)
        for (chunk, want) in zip(chunks, expected) {
            #expect(chunk.text == want["text"] as! String)
            #expect(chunk.promptIDs == want["prompt_ids"] as! [Int])
            #expect(chunk.codes.rows == want["codes"] as! [[Int]])
        }

        let codes = CodesFile.codes(of: chunks)
        let decoded = try AudioTokenizer(folder: tokenizer).decode(codes)
        let wav = try WAVFile.read(folder.appendingPathComponent("out.wav"))
        #expect(wav.sampleRate == 24000 && wav.samples.count == codes.frameCount * 960)
        let largest = zip(wav.samples, decoded).map { abs($0 - max(-1, min(1, $1))) }.max() ?? 1
        // 16-bit PCM of the decode: written as round(x * 32767), read back as n / 32768.
        #expect(largest <= 2.0 / 32767)
        // The prompt's reading apart from the steps (tens of seconds on a slow machine, which the rate would hide).
        #expect(result.stderr.contains("real-time factor") && result.stderr.contains(": prompts read in ")
                && result.stderr.contains(" after the prompts)"), "\(result.stderr)")
    }

    /// No audio tokenizer given and none at the default place: codes only, and stderr says so.
    @Test func withoutAnAudioTokenizerOnlyCodesAreWritten() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let result = try CLI.run(["generate", "--model", model.path, "--transcript", "Hello there.", "--scene-prompt", "empty",
                                  "--seed", "3", "--max-new-tokens", "12", "--quiet"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("no audio tokenizer") && result.stderr.contains("codes only"))
        // Said before generating too (a full-size generation takes minutes).
        let warned = try #require(result.stderr.range(of: "only the codes will be written, no WAV"), "\(result.stderr)")
        #expect(result.stderr.range(of: "wrote codes only").map { warned.lowerBound < $0.lowerBound } == true, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("generation.wav").path))
        let chunks = try CodesFile.read(folder.appendingPathComponent("generation.codes.json"))
        #expect(chunks.count == 1 && chunks[0].codes.numCodebooks == 8)
        #expect(chunks[0].text == "Hello there.")

        // The same seed gives the same codes.
        let again = try CLI.run(["generate", "--model", model.path, "--transcript", "Hello there.", "--scene-prompt", "empty",
                                 "--seed", "3", "--max-new-tokens", "12", "--quiet", "--codes-out", "again.json"], in: folder)
        #expect(again.status == 0)
        #expect(try CodesFile.read(folder.appendingPathComponent("again.json")) == chunks)

        // One token leaves no room for an audio frame: said as
        // such, not as a real-time factor of zero audio.
        let none = try CLI.run(["generate", "--model", model.path, "--transcript", "Hello there.", "--scene-prompt", "empty",
                                "--seed", "3", "--max-new-tokens", "1", "--codes-out", "none.json"], in: folder)
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stderr.contains("0 frames") && none.stderr.contains("no audio frames") && !none.stderr.contains("real-time"),
                "\(none.stderr)")

        // The codes file nobody named cannot be written (a folder holds its name): the message says where
        // the file comes from, and what the system said.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("blocked.codes.json/taken"), withIntermediateDirectories: true)
        let blocked = try CLI.run(["generate", "--model", model.path, "--transcript", "Hello there.", "--scene-prompt", "empty",
                                   "--seed", "3", "--max-new-tokens", "1", "--out-path", "blocked.wav", "--quiet"], in: folder)
        #expect(blocked.status == 1 && blocked.stderr.hasSuffix("\nhiggs: blocked.codes.json (the codes, beside --out-path, as there is no audio "
                + "tokenizer to make the WAV): cannot write (Is a directory)\n"), "\(blocked.stderr)")
    }

    /// Where the WAV and the codes go is checked before the model is looked for: a folder that is not there is
    /// one line naming the flag, the file and the folder, and no time goes to loading or generating.
    @Test func outputFoldersAreCheckedBeforeTheModel() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        var result = try CLI.run(["generate", "--transcript", "hi", "--model", "M", "--out-path", "/nonexistent/x.wav"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: --out-path /nonexistent/x.wav: no folder /nonexistent\n", "\(result.stderr)")
        result = try CLI.run(["generate", "--transcript", "hi", "--model", "M", "--codes-out", "missing/c.json"], in: folder)
        #expect(result.status == 1 && result.stderr.hasPrefix("higgs: --codes-out missing/c.json: no folder /")
                && result.stderr.hasSuffix("/missing\n"), "\(result.stderr)")
        result = try CLI.run(["generate", "--transcript", "hi", "--model", "M", "--out-path", "."], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: --out-path .: a folder, not a file\n", "\(result.stderr)")
        try "hi".write(to: folder.appendingPathComponent("hi.txt"), atomically: true, encoding: .utf8)
        result = try CLI.run(["generate", "--transcript", "hi", "--model", "M", "--out-path", "hi.txt/x.wav"], in: folder)
        #expect(result.status == 1 && result.stderr.hasPrefix("higgs: --out-path hi.txt/x.wav: /")
                && result.stderr.hasSuffix("/hi.txt is a file, not a folder\n"), "\(result.stderr)")

        // With a model there, it is not loaded.
        let model = try CheckpointFixtures.modelFolder(in: folder)
        result = try CLI.run(["generate", "--transcript", "hi", "--model", model.path, "--out-path", "/nonexistent/x.wav"], in: folder)
        #expect(result.status == 1 && result.stderr == "higgs: --out-path /nonexistent/x.wav: no folder /nonexistent\n", "\(result.stderr)")
    }

    /// A clip voice is encoded by the audio tokenizer (and cached under ~/.cache): the command's codes are
    /// the engine's with the clip's codes from the tokenizer's encoder.
    @Test func clipVoicesAreEncodedByTheAudioTokenizer() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)
        let tokenizerFolder = try CheckpointFixtures.audioTokenizer(in: folder)
        let voicesFolder = Fixtures.url("PromptTests", "voices")
        let text = "Kettles don't talk, I told myself."
        let result = try CLI.run(["generate", "--model", model.path, "--audio-tokenizer", tokenizerFolder.path,
                                  "--transcript", text, "--scene-prompt", "empty", "--voices", voicesFolder.path,
                                  "--ref-audio", "alice", "--temperature", "0", "--ras-win-len", "0", "--max-new-tokens", "20",
                                  "--codes-out", "out.json", "--quiet"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let written = try CodesFile.read(folder.appendingPathComponent("out.json"))

        let tokenizer = try AudioTokenizer(folder: tokenizerFolder)
        try tokenizer.loadEncoder()
        let engine = try SpeechEngine(modelFolder: model, clipCodes: { _, audio in try tokenizer.encode(WAVFile.read(audio)) })
        let voices = try VoiceLibrary(folder: voicesFolder).resolve(list: "alice")
        let spoken = try engine.speak(SpeechEngine.Dialogue(transcript: text, voices: voices),
                                      options: .init(sampling: .greedy, maxNewTokens: 20))
        #expect(written.map(\.codes) == spoken.map(\.codes) && written.map(\.promptIDs) == spoken.map(\.promptIds))
        #expect(spoken[0].codes.frameCount > 0)
    }

    /// A negative number is the flag's value, not a flag of its own ("Missing value for '--temperature'"):
    /// the checks say what is wrong with it, before any model is looked for.
    @Test func negativeNumbersAreReadAndRefused() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sampling = "sampling needs temperature >= 0, top-k >= 0 and top-p in 0...1"
        for (flag, value, message) in [
            ("--temperature", "-1", sampling), ("--top-k", "-5", sampling), ("--top-p", "-0.5", sampling),
            ("--ras-win-len", "-3", "--ras-win-len must be 0 or more (0 disables), not -3"),
            ("--ras-win-max-num-repeat", "-1", "--ras-win-max-num-repeat must be 0 or more, not -1"),
            ("--seed", "-5", "The value '-5' is invalid for '--seed <seed>'"),
            ("--threads", "-2", "--threads must be at least 1"),
            ("--max-new-tokens", "-1", "--max-new-tokens must be at least 1"),
            ("--chunk-max-word-num", "-1", "chunk sizes must be at least 1"),
            ("--chunk-max-num-turns", "-1", "chunk sizes must be at least 1"),
            ("--generation-chunk-buffer-size", "-1", "--generation-chunk-buffer-size must not be negative"),
        ] {
            let result = try CLI.run(["generate", "--transcript", "hi", flag, value], in: folder)
            #expect(result.status == 64 && result.stderr.hasPrefix("Error: \(message)\n"), "\(flag) \(value): \(result.stderr)")
        }
        // The seed's help says what it takes.
        let seed = try CLI.run(["generate", "--transcript", "hi", "--seed", "-5"], in: folder)
        #expect(seed.stderr.contains("Random seed, a whole number from 0"))
    }

    @Test func badInputIsOneLineNamingTheProblem() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CheckpointFixtures.modelFolder(in: folder)

        let noModel = try CLI.run(["generate", "--model", folder.appendingPathComponent("nothing").path, "--transcript", "Hi."], in: folder)
        #expect(noModel.status != 0 && noModel.stderr.contains("nothing: no such model folder"))
        let nowhere = try CLI.run(["generate", "--transcript", "Hi."], in: folder)
        #expect(nowhere.status != 0 && nowhere.stderr.contains("no model: looked for the model in ~/models/higgs-audio-v2-generation-3B-base "
                                                               + "(the default; set --model or $HIGGS_MODEL). `higgs download` fetches it"),
                "\(nowhere.stderr)")

        let unknownVoice = try CLI.run(["generate", "--model", model.path, "--transcript", "Hi.", "--ref-audio", "nobody",
                                        "--voices", Fixtures.url("PromptTests", "voices").path], in: folder)
        #expect(unknownVoice.status != 0 && unknownVoice.stderr.contains("nobody"))

        let unknownScene = try CLI.run(["generate", "--model", model.path, "--transcript", "Hi.", "--scene-prompt", "no_such_scene",
                                        "--scenes", Fixtures.url("PromptTests", "scenes").path], in: folder)
        #expect(unknownScene.status != 0 && unknownScene.stderr.contains("no_such_scene"))

        // The committed codec fixture has 256 codes per codebook; the model makes 1024.
        let small = try CheckpointFixtures.audioTokenizer(in: folder, bins: 256)
        let mismatch = try CLI.run(["generate", "--model", model.path, "--audio-tokenizer", small.path, "--transcript", "Hi."], in: folder)
        #expect(mismatch.status != 0 && mismatch.stderr.contains("8 codebooks of 1024") && mismatch.stderr.contains("8 of 256"))

        let badFlag = try CLI.run(["generate", "--model", model.path, "--transcript", "Hi.", "--precision", "q2"], in: folder)
        #expect(badFlag.status != 0 && badFlag.stderr.contains("--precision must be bf16, q8 or q4"))
    }
}
