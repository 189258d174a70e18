import ArgumentParser
import Foundation
import Prompt
import Generation
import Studio

/// `higgs bench script`: what the studio works out again on every edit of a long script.
struct BenchScript: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "script",
        abstract: "Time what the studio redoes on each edit of a long script (planning every line, the title's length).",
        discussion: "Without a project, a made-up audiobook of --lines lines in chapters of 100, three speakers."
    )

    @Argument(help: "A .higgs project (its takes are read, nothing is written).")
    var project: String?

    @Option(help: "Lines of the made-up script.")
    var lines: Int = 4000

    @Option(help: "Edits to time.")
    var edits: Int = 50

    @Option(help: "Also export the made-up script with takes of this many hours in all (synthetic audio), timing it and its peak memory.")
    var exportHours: Double?

    @Option(help: "With --export-hours: leave the made-up book (book.higgs, its takes and export) in this folder.")
    var keep: String?

    func run() throws {
        let url = project.map { URL(fileURLWithPath: $0) }
        let document = try url.map(ProjectFile.loadSayingWarnings) ?? Self.madeUp(lines: lines)
        guard !document.script.isEmpty else { throw CommandFailure("\(project ?? "the script"): no lines") }
        let folder = url?.deletingLastPathComponent() ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let voices = VoiceLibrary(folder: folder.appendingPathComponent("Voices"))
        let scenes = SceneLibrary(folder: folder.appendingPathComponent("Scenes"))
        let takes = TakeStore(folder: url.map { TakeStore.folder(forProject: $0) }
                              ?? FileManager.default.temporaryDirectory.appendingPathComponent("higgs-bench-script-\(UUID().uuidString)"))
        print("script    \(document.script.count) lines, \(edits) edits")
        timeEdits(document, voices: voices, scenes: scenes, takes: takes, label: "")
        if let exportHours {
            guard project == nil else { throw CommandFailure("--export-hours makes its own takes: give no project") }
            try export(document, hours: exportHours, voices: voices, scenes: scenes)
        }
    }

    /// What one letter typed into a line in the middle costs, as the studio sees it: a new document planned,
    /// the title's length, the lines on screen.
    private func timeEdits(_ document: Project, voices: VoiceLibrary, scenes: SceneLibrary, takes: TakeStore, label: String) {
        var document = document
        let fingerprints = ClipFingerprints()
        let edited = document.script.count / 2
        var planning = 0.0, length = 0.0, visible = 0.0
        // As the studio plans: each plan after the one before the edit.
        var previous = DialoguePlanner(project: document, voices: voices, scenes: scenes, takes: takes, fingerprints: fingerprints)
        _ = previous.exportLength  // the takes' records read once, as the studio has them when it opens
        for edit in 0..<edits {
            document.script[edited] += edit % 2 == 0 ? "x" : ""
            var start = Date()
            let planner = DialoguePlanner(project: document, voices: voices, scenes: scenes, takes: takes, fingerprints: fingerprints,
                                          after: previous)
            previous = planner
            planning += Date().timeIntervalSince(start)
            start = Date()
            _ = planner.exportLength
            length += Date().timeIntervalSince(start)
            start = Date()
            for i in edited..<min(planner.lineCount, edited + 40) { _ = planner.plan(line: i) }
            visible += Date().timeIntervalSince(start)
        }
        let n = Double(edits)
        print(String(format: "planning  %.1f ms an edit%@ (every line's speaker, words, take record)", planning / n * 1000, label))
        print(String(format: "length    %.1f ms an edit%@ (the title's length of the dialogue)", length / n * 1000, label))
        print(String(format: "plans     %.1f ms an edit%@ (40 lines on screen)", visible / n * 1000, label))
        print(String(format: "total     %.1f ms an edit%@", (planning + length + visible) / n * 1000, label))
    }

    /// Every line given a take of synthetic speech (noise shaped into syllables), then the whole exported.
    private func export(_ document: Project, hours: Double, voices: VoiceLibrary, scenes: SceneLibrary) throws {
        let folder = keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("higgs-bench-export-\(UUID().uuidString)")
        defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
        if keep != nil {
            // The book as a project beside its takes, to open in the studio.
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try ProjectFile.save(document, to: folder.appendingPathComponent("book.higgs"))
        }
        let takes = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        let planner = DialoguePlanner(project: document, voices: voices, scenes: scenes, takes: takes, fingerprints: ClipFingerprints())
        let speaking = document.script.indices.filter { !planner.saysNothing(line: $0) }
        let length = Int(hours * 3600 * Double(AudioFormat.sampleRate)) / max(1, speaking.count)
        var noise = SystemRandomNumberGenerator()
        var start = Date()
        for i in speaking {
            guard let plan = planner.plan(line: i), let key = plan.key else { throw CommandFailure("line \(i + 1) cannot be planned") }
            let samples = (0..<length).map { n in
                Float.random(in: -0.3...0.3, using: &noise) * Float(abs(sin(Double(n) * .pi / 4800)))
            }
            let codes = try AudioCodes(rows: Array(repeating: Array(repeating: 1, count: length / AudioFormat.samplesPerFrame),
                                                   count: AudioFormat.codebooks))
            _ = try takes.add(GeneratedTake(codes: codes, samples: samples), key: key, seed: 0, reseeded: false,
                              line: plan.identity, transcript: plan.transcript, engine: "bench")
        }
        print(String(format: "takes     %d of %.1f s written in %.1f s", speaking.count, Double(length) / Double(AudioFormat.sampleRate),
                     Date().timeIntervalSince(start)))
        timeEdits(document, voices: voices, scenes: scenes, takes: TakeStore(folder: folder.appendingPathComponent("book.takes")),
                  label: ", every line with a take")
        let made = DialoguePlanner(project: document, voices: voices, scenes: scenes, takes: takes, fingerprints: ClipFingerprints())
        PeakMemory.reset()
        var before = PeakMemory.current()
        start = Date()
        let report = try DialogueExport.export(made, name: "book", to: folder.appendingPathComponent("book.export"))
        print(String(format: "export    %.1f h of dialogue, %d files, in %.1f s; peak memory %.2f GB (%.2f GB before)",
                     report.seconds / 3600, report.files.count, Date().timeIntervalSince(start),
                     Double(PeakMemory.current()) / 1e9, Double(before) / 1e9))
        // "Play from here" from the first line, read as the studio reads it, and heard by a listener as fast as
        // it comes; then the transport bar's waveform of all of it.
        PeakMemory.reset()
        before = PeakMemory.current()
        start = Date()
        let stream = AudioStream(keepingBehind: DialogueAudio.keptBehind)
        let reader = Thread {
            DialogueAudio.play(made, from: 0, lineIDs: Array(document.script.indices), into: stream, ahead: DialogueAudio.readAhead)
        }
        reader.start()
        var first: Double?
        var heard = 0
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: AudioFormat.sampleRate)
        defer { buffer.deallocate() }
        while true {
            let (n, ended) = stream.read(from: heard, into: buffer)
            heard += n
            if first == nil && heard >= AudioFormat.sampleRate * 4 / 10 { first = Date().timeIntervalSince(start) }
            if ended { break }
            if n == 0 { usleep(1_000) }
        }
        let all = Date().timeIntervalSince(start)
        start = Date()
        _ = stream.peaks(0..<stream.count, buckets: 80)
        print(String(format: "play      from the first line: its first 0.4 s ready in %.2f s, all %.1f h in %.1f s; peak memory %.2f GB (%.2f GB before); "
                     + "its waveform in %.1f ms", first ?? all, Double(stream.count) / Double(AudioFormat.sampleRate) / 3600, all,
                     Double(PeakMemory.current()) / 1e9, Double(before) / 1e9, Date().timeIntervalSince(start) * 1000))
    }

    /// An audiobook's shape: a chapter note every 100 lines, three speakers, lines of 8 to 40 words.
    static func madeUp(lines: Int) -> Project {
        let words = "the quick brown fox jumps over a lazy dog while rain falls on the old stone bridge and nobody hears".split(separator: " ")
        var generator = SystemRandomNumberGenerator()
        var script: [String] = []
        while script.count < lines {
            if script.count % 101 == 0 { script.append("# chapter: Chapter \(script.count / 101 + 1)") }
            let name = ["Narrator", "Anna", "Ben"].randomElement(using: &generator)!
            let said = (0..<Int.random(in: 8...40, using: &generator)).map { _ in words.randomElement(using: &generator)! }
            script.append("[\(name)] " + said.joined(separator: " ") + ".")
        }
        return Project(cast: ["Narrator", "Anna", "Ben"].map { CastMember(name: $0, voice: .automatic) }, script: script)
    }
}
