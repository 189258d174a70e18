import ArgumentParser
import AudioCodec
import AudioIO
import Engine
import Foundation
import Generation
import Kernels
import Prompt
import Studio
import Transformer

/// `higgs generate`: the reference CLI (`examples/generation.py`) in-process, with its flags in kebab-case.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate speech for a transcript, as the reference CLI does.",
        discussion: """
            Writes the WAV (--out-path) when an audio tokenizer is found, and the codes file (--codes-out) when \
            asked or when there is no audio tokenizer. Ctrl-C stops generating within one step and keeps what \
            was generated.
            """
    )

    @Option(help: "The generation model folder (config.json, tokenizer.json, model.safetensors[.index.json]).")
    var model: String?

    @Option(help: "The audio tokenizer folder (config.json, model.pth). Without one, only codes are written.")
    var audioTokenizer: String?

    @Option(help: "The transcript: a file, or the text itself.")
    var transcript: String

    @Option(help: "A scene from the scenes folder, a file, or 'empty'.")
    var scenePrompt = "quiet_studio"

    @Option(help: FolderHelp.scenes)
    var scenes: String?

    @Option(help: "Voices for SPEAKER0, SPEAKER1, ...: clip names or profile:NAME, comma-separated.")
    var refAudio: String?

    @Flag(help: "Describe the reference voices in the system message.")
    var refAudioInSystemMessage = false

    @Option(help: FolderHelp.voices)
    var voices: String?

    @Option(help: "Chunk the transcript by 'speaker' turns or by 'word' count (default: one chunk).")
    var chunkMethod: String?

    @Option(parsing: .unconditional, help: "Words per chunk for --chunk-method word.")
    var chunkMaxWordNum = 200

    @Option(parsing: .unconditional, help: "Turns per chunk for --chunk-method speaker.")
    var chunkMaxNumTurns = 1

    @Option(parsing: .unconditional, help: "Generated chunks kept as context (default: all).")
    var generationChunkBufferSize: Int?

    @Option(parsing: .unconditional, help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 1

    @Option(parsing: .unconditional, help: "Keep the k most likely tokens (0: all).")
    var topK = 50

    @Option(parsing: .unconditional, help: "Keep the most likely tokens up to this probability mass.")
    var topP = 0.95

    @Option(parsing: .unconditional, help: "Repetition-aware sampling window (0 disables).")
    var rasWinLen = 7

    @Option(parsing: .unconditional, help: "Repeats allowed in the RAS window.")
    var rasWinMaxNumRepeat = 2

    @Option(parsing: .unconditional, help: "Random seed, a whole number from 0 (default: drawn, and printed).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "New tokens allowed per chunk.")
    var maxNewTokens = 2048

    @Option(help: "The WAV file to write.")
    var outPath = "generation.wav"

    @Option(help: "Also write the codes file (JSON) here.")
    var codesOut: String?

    @Option(help: "Weight precision: bf16, q8 or q4 (default: the config file's `precision:`, else bf16 as the reference).")
    var precision: String?

    @Option(parsing: .unconditional, help: "Threads (default: the config file's `threads:`, else physical cores).")
    var threads: Int?

    @Flag(inversion: .prefixedNo, help: "End the prompt with <|audio_out_bos|> so the model speaks at once.")
    var forceAudioGen = true

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        if let precision, WeightPrecision(rawValue: precision) == nil {
            throw ValidationError("--precision must be bf16, q8 or q4, not '\(precision)'")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let chunkMethod, !["speaker", "word"].contains(chunkMethod) {
            throw ValidationError("--chunk-method must be speaker or word, not '\(chunkMethod)'")
        }
        if chunkMaxWordNum < 1 || chunkMaxNumTurns < 1 { throw ValidationError("chunk sizes must be at least 1") }
        if let generationChunkBufferSize, generationChunkBufferSize < 0 {
            throw ValidationError("--generation-chunk-buffer-size must not be negative")
        }
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
        if temperature < 0 || !(0...1).contains(topP) || topK < 0 {
            throw ValidationError("sampling needs temperature >= 0, top-k >= 0 and top-p in 0...1")
        }
        // A negative window read as 0 would turn repetition-aware sampling off without a word.
        if rasWinLen < 0 { throw ValidationError("--ras-win-len must be 0 or more (0 disables), not \(rasWinLen)") }
        if rasWinMaxNumRepeat < 0 { throw ValidationError("--ras-win-max-num-repeat must be 0 or more, not \(rasWinMaxNumRepeat)") }
    }

    func run() throws {
        let location = EngineLocation(modelFlag: model, audioTokenizerFlag: audioTokenizer, precision: precision, threads: threads)
        if let threads = location.threads { ThreadPool.setSharedThreads(threads) }
        let precision = location.precision ?? WeightPrecision.bf16.rawValue
        let log = Progress(quiet: quiet)
        // Before the minutes that loading and generating take: the files must have somewhere to go.
        try OutputFile.check(outPath, flag: "--out-path")
        if let codesOut { try OutputFile.check(codesOut, flag: "--codes-out") }

        let dialogue = try makeDialogue()
        let (chunks, _) = try dialogue.plan()

        let modelFolder = try location.modelFolder()
        let start = Date()
        log.line("loading \(location.display(modelFolder)) (\(precision))")
        let codec = try loadAudioTokenizer(location)
        // Said before the minutes of generating, and again at the end where the files are named.
        if codec == nil {
            warn("no audio tokenizer (\(location.display(location.audioTokenizer)) has no model.pth; give --audio-tokenizer): "
                 + "only the codes will be written, no WAV")
        }
        let voiceCodes = codec.map { VoiceCodeCache(tokenizer: $0) }
        let engine = try SpeechEngine(modelFolder: modelFolder, precision: WeightPrecision(rawValue: precision)!,
                                      clipCodes: voiceCodes.map { cache in { name, audio in
                                          log.status("the voice clip \(name) (encoded once, then cached)…")
                                          return try cache.codes(forClip: audio)
                                      } },
                                      quantizing: { log.quantizing($0, to: precision) })
        if let codec { try checkCompatible(engine.model.configuration, codec, location) }
        log.line(String(format: "loaded in %.1f s; %d chunk%@, %d thread%@", Date().timeIntervalSince(start), chunks.count,
                        chunks.count == 1 ? "" : "s", ThreadCount.current, ThreadCount.current == 1 ? "" : "s"))

        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        // Said even with --quiet: it is what makes this take again.
        if self.seed == nil { Console.error("seed \(seed) (drawn; --seed \(seed) makes this take again)\n") }
        let sampling = SamplingOptions(temperature: temperature, topK: topK == 0 ? nil : topK, topP: topP,
                                       rasWindowLength: rasWinLen, rasMaxRepeats: rasWinMaxNumRepeat, seed: seed)
        let options = SpeechEngine.Options(sampling: sampling, maxNewTokens: maxNewTokens, forceAudio: forceAudioGen)

        Interrupt.install()
        let generationStart = Date()
        var frames = 0
        // Each chunk's prompt is read before its first frame: that time apart from the steps'.
        var chunkStart: Date? = generationStart, promptSeconds = 0.0
        let spoken = try engine.speak(dialogue, options: options, isCancelled: { Interrupt.requested },
                                      onChunk: { i, n in
                                          chunkStart = Date()
                                          log.chunk(i, of: n)
                                      },
                                      onFrame: { _ in
                                          if let start = chunkStart {
                                              promptSeconds += Date().timeIntervalSince(start)
                                              chunkStart = nil
                                          }
                                          frames += 1
                                          log.frames(frames, seconds: Date().timeIntervalSince(generationStart) - promptSeconds)
                                      })
        log.finishLine()
        let elapsed = Date().timeIntervalSince(generationStart)
        let file = CodesFile.Chunk.self
        let written = spoken.map { file.init(text: $0.text, promptIDs: $0.promptIds, codes: $0.codes) }
        let codes = CodesFile.codes(of: written)
        let audioSeconds = Double(codes.frameCount) / Double(AudioFormat.frameRate)
        let steps = max(elapsed - promptSeconds, 1e-9)
        let rate = codes.frameCount == 0 ? "no audio frames"
            : String(format: "prompts read in %.1f s, then %.2f frames/s; real-time factor %.2f (%.2f after the prompts)", promptSeconds,
                     Double(frames) / steps, elapsed / audioSeconds, steps / audioSeconds)
        log.line(String(format: "%d frames (%.2f s of audio) in %.1f s: %@%@", codes.frameCount, audioSeconds, elapsed,
                        rate, Interrupt.requested ? " (interrupted)" : ""))

        var codesPath = codesOut
        var instead = ""
        if codec == nil && codesPath == nil {
            codesPath = (outPath.hasSuffix(".wav") ? String(outPath.dropLast(4)) : outPath) + ".codes.json"
            // A file nobody named: the message says where it comes from.
            instead = " (the codes, beside --out-path, as there is no audio tokenizer to make the WAV)"
        }
        if let codesPath {
            try OutputFile.write(CodesFile.encode(written), to: codesPath, instead)
            log.line("wrote \(codesPath)")
        }
        guard let codec else {
            warn("no audio tokenizer (\(location.display(location.audioTokenizer)) has no model.pth; "
                 + "give --audio-tokenizer): wrote codes only, no WAV")
            if Interrupt.requested { throw ExitCode(Interrupt.exitStatus) }
            return
        }
        let samples = try codec.decode(codes)
        try WAVFile.write(samples, sampleRate: codec.sampleRate, to: URL(fileURLWithPath: outPath), format: .pcm16)
        log.line(String(format: "wrote %@ (%.2f s)", outPath, Double(samples.count) / Double(codec.sampleRate)))
        // What was made before the stop is written, and the status says it is not all.
        if Interrupt.requested { throw ExitCode(Interrupt.exitStatus) }
    }

    /// One word that names a file rather than says something: a folder in it, or a text file's extension.
    static func looksLikeAPath(_ text: String) -> Bool {
        guard !text.contains(where: \.isWhitespace), !text.contains("[") else { return false }
        let lower = text.lowercased()
        return text.contains("/") || [".txt", ".md", ".text", ".higgs", ".srt", ".vtt", ".fountain"].contains { lower.hasSuffix($0) }
    }

    /// The transcript, scene, voices and chunking the flags describe.
    private func makeDialogue() throws -> SpeechEngine.Dialogue {
        var text = transcript
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: transcript, isDirectory: &isFolder), !isFolder.boolValue {
            text = try InputFile.text(transcript)
        } else if Self.looksLikeAPath(transcript) {
            // A file name mistyped would be spoken as the words of the take.
            throw GenerationError("--transcript \(transcript): no such file (a transcript is a file that is there, or the words themselves)")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GenerationError("the transcript is empty")
        }
        let sceneLibrary = SceneLibrary(folder: StudioFolders.locate("Scenes", flag: scenes))
        let scene = try sceneLibrary.resolve(scenePrompt)
        let voiceLibrary = VoiceLibrary(folder: StudioFolders.locate("Voices", flag: voices))
        let voices = try refAudio.map { try voiceLibrary.resolve(list: $0) } ?? []
        let method: ChunkMethod
        switch chunkMethod {
        case "speaker": method = .speaker(maxTurns: chunkMaxNumTurns)
        case "word": method = .word(maxWords: chunkMaxWordNum)
        default: method = .none
        }
        return SpeechEngine.Dialogue(transcript: text, scene: scene, voices: voices,
                                     referenceAudioInSystemMessage: refAudioInSystemMessage, chunkMethod: method,
                                     bufferSize: generationChunkBufferSize)
    }

    /// The audio tokenizer from the flag (an error if it does not load) or the default place (nil if absent).
    private func loadAudioTokenizer(_ location: EngineLocation) throws -> AudioTokenizer? {
        let folder = location.audioTokenizer
        if audioTokenizer == nil,
           !FileManager.default.fileExists(atPath: folder.appendingPathComponent(AudioTokenizer.weightsFileName).path) {
            return nil
        }
        return try AudioTokenizer(folder: folder)
    }

    /// Codes from the model must be codes the tokenizer knows.
    private func checkCompatible(_ model: Configuration, _ codec: AudioTokenizer, _ location: EngineLocation) throws {
        guard model.audioCodebookSize == codec.codebookSize, model.audioNumCodebooks == codec.codebookCount else {
            throw GenerationError("\(location.display(location.model)) makes \(model.audioNumCodebooks) codebooks of "
                                  + "\(model.audioCodebookSize) codes but \(location.display(location.audioTokenizer)) "
                                  + "decodes \(codec.codebookCount) of \(codec.codebookSize)")
        }
    }
}

func warn(_ message: String) {
    Console.error("higgs: \(message)\n")
}

/// Progress on stderr: rewritten in place on a terminal, a line per chunk otherwise.
private final class Progress {
    let quiet: Bool
    let live = isatty(STDERR_FILENO) != 0
    private var chunkLabel = ""
    private var lastDraw = Date.distantPast
    private var drawn = false
    private var saidQuantizing = false

    init(quiet: Bool) { self.quiet = quiet }

    func line(_ text: String) {
        guard !quiet else { return }
        finishLine()
        Console.error("\(text)\n")
    }

    func chunk(_ index: Int, of count: Int) {
        chunkLabel = count > 1 ? "chunk \(index + 1)/\(count): " : ""
        if !live && count > 1 { line("chunk \(index + 1)/\(count)") }
        status("reading the prompt…")
    }

    /// What is being done before the first frame, in place on a terminal (the next frames replace it).
    func status(_ text: String) {
        guard !quiet, live else { return }
        Console.error("\r\u{1B}[K\(chunkLabel)\(text)")
        drawn = true
    }

    /// A first start's quantization: the percentage in place on a terminal, one line otherwise.
    func quantizing(_ fraction: Double, to precision: String) {
        guard !quiet else { return }
        let text = "quantizing to \(precision) (first start; later starts read the cache)"
        if !live {
            if !saidQuantizing { line(text) }
            saidQuantizing = true
            return
        }
        guard fraction >= 1 || Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        Console.error("\r\u{1B}[K\(text): \(Int(fraction * 100))%")
        drawn = true
    }

    func frames(_ frames: Int, seconds: Double) {
        guard !quiet, live, Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        let text = String(format: "\r\u{1B}[K%@%d frames, %.1f s of audio, %.1f frames/s", chunkLabel, frames,
                          Double(frames) / Double(AudioFormat.frameRate), Double(frames) / max(seconds, 1e-9))
        Console.error(text)
        drawn = true
    }

    func finishLine() {
        guard drawn else { return }
        Console.error("\r\u{1B}[K")
        drawn = false
    }
}
