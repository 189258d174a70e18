import ArgumentParser
import Foundation
import TextTokenizer

/// `higgs bench tokenizer`: load time of tokenizer.json and single-threaded encoding speed.
struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Time loading tokenizer.json and encoding English text (one thread)."
    )

    @Option(help: "The model folder holding tokenizer.json.")
    var model: String

    @Option(help: "Megabytes of text to encode.")
    var megabytes: Double = 8

    @Option(help: "A UTF-8 text file to encode (repeated up to --megabytes); default: built-in English prose.")
    var file: String?

    func run() throws {
        let url = URL(fileURLWithPath: model).appendingPathComponent("tokenizer.json")
        var start = Date()
        let tokenizer = try BPETokenizer(url: url)
        let loadSeconds = Date().timeIntervalSince(start)
        print(String(format: "load      %@: %.3f s (%d tokens)", url.path, loadSeconds, tokenizer.vocabularySize))

        let sample = try file.map(InputFile.text) ?? Self.englishSample(bytes: 1 << 20)
        guard !sample.isEmpty else { throw CommandFailure("\(file ?? "the sample"): empty text") }
        // Chunks of about 4 KB, like the paragraphs a script is made of; the word cache warms on the first pass.
        let chunks = Self.chunks(of: sample, size: 4096)
        let target = Int(megabytes * 1_000_000)
        var bytes = 0, tokens = 0
        start = Date()
        while bytes < target {
            for chunk in chunks where bytes < target {
                tokens += tokenizer.encode(chunk).count
                bytes += chunk.utf8.count
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "encode    %.1f MB in %.2f s: %.2f MB/s, %.0f tokens/s (%.2f bytes/token)",
                     Double(bytes) / 1e6, seconds, Double(bytes) / 1e6 / seconds, Double(tokens) / seconds,
                     Double(bytes) / Double(max(tokens, 1))))

        let ids = tokenizer.encode(chunks[0])
        start = Date()
        var decoded = 0
        while Date().timeIntervalSince(start) < 1 {
            decoded += tokenizer.decode(ids).utf8.count
        }
        print(String(format: "decode    %.1f MB/s", Double(decoded) / 1e6 / Date().timeIntervalSince(start)))
    }

    static func chunks(of text: String, size: Int) -> [String] {
        var chunks: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            current += line + "\n"
            if current.utf8.count >= size {
                chunks.append(current)
                current = ""
            }
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }

    /// English prose: sentences of a few paragraphs shuffled (seeded) into varied paragraphs.
    static func englishSample(bytes: Int) -> String {
        let sentences = prose.split(separator: ".").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        var generator = SplitMix(seed: 42)
        var text = ""
        while text.utf8.count < bytes {
            for _ in 0..<(3 + Int(generator.next() % 6)) {
                text += sentences[Int(generator.next() % UInt64(sentences.count))] + ". "
            }
            text += "\n\n"
        }
        return text
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let prose = """
        The studio opened at seven, but Mara was already there, headphones around her neck, reading the \
        script for the third time. Two voices, eleven scenes, and a deadline on Friday. She marked the lines \
        where the narrator paused, circled the words she wasn't sure how to say, and wrote "slower" in the \
        margin beside the long speech in scene four. When the engineer arrived he brought coffee and a \
        question: did she want the rain recorded separately, or mixed under the dialogue from the start? \
        Separately, she said; it's easier to fix a storm than a sentence. They spent the morning on the first \
        three scenes. The older voice was warm and a little rough, like someone who had told the same story \
        at a hundred kitchen tables; the younger one was quick, impatient, always half a beat ahead of the \
        music. By noon they had forty minutes of usable takes and a list of twenty-six retakes, most of them \
        small: a dropped consonant, a breath in the wrong place, a laugh that came out sharper than intended. \
        After lunch the power flickered twice and the engineer swore at the old console, which had been \
        bought secondhand in 1998 and repaired so often that nobody remembered what the original parts had \
        looked like. Still, it worked. It always worked, in the end, if you were patient with it and didn't \
        ask it to do two things at once. In the late afternoon they reached the hardest scene: the argument \
        on the bridge, where both characters speak over each other and neither finishes a sentence. They \
        tried it six ways. They tried it with the actors in the same room and in separate booths, with the \
        music and without, fast and then deliberately, painfully slow. Nothing felt right until the seventh \
        take, when the younger voice stopped in the middle of a word and simply waited, and the silence said \
        more than the line would have. Mara wrote the timecode on her hand so she wouldn't lose it. The \
        weather report promised clear skies for the rest of the week, which meant the rain would have to come \
        from the library: three hundred and twelve recordings of rain, sorted by intensity, surface and \
        distance, made over twenty years by someone who had clearly loved the sound more than most people \
        love anything. She chose a light rain on a tin roof for the opening and a heavy, distant rain for \
        the bridge. On Thursday the director listened to everything in one sitting, without comment, and then \
        asked for the whole of scene nine again, because the clock in the background was ticking at the wrong \
        speed. Nobody else had noticed. Everyone noticed after that.
        """
}
