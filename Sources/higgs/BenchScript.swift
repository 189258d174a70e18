import ArgumentParser
import Foundation
import Prompt
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

    func run() throws {
        let url = project.map { URL(fileURLWithPath: $0) }
        var document = try url.map(ProjectFile.load) ?? Self.madeUp(lines: lines)
        guard !document.script.isEmpty else { throw CommandFailure("\(project ?? "the script"): no lines") }
        let folder = url?.deletingLastPathComponent() ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let voices = VoiceLibrary(folder: folder.appendingPathComponent("Voices"))
        let scenes = SceneLibrary(folder: folder.appendingPathComponent("Scenes"))
        let takes = TakeStore(folder: url.map { TakeStore.folder(forProject: $0) }
                              ?? FileManager.default.temporaryDirectory.appendingPathComponent("higgs-bench-script-\(UUID().uuidString)"))
        let fingerprints = ClipFingerprints()
        let edited = document.script.count / 2
        var planning = 0.0, length = 0.0, visible = 0.0
        for edit in 0..<edits {
            // A letter typed into a line in the middle, as the studio sees it: a new document.
            document.script[edited] += edit % 2 == 0 ? "x" : ""
            var start = Date()
            let planner = DialoguePlanner(project: document, voices: voices, scenes: scenes, takes: takes, fingerprints: fingerprints)
            planning += Date().timeIntervalSince(start)
            start = Date()
            _ = planner.exportLength
            length += Date().timeIntervalSince(start)
            start = Date()
            for i in edited..<min(planner.lineCount, edited + 40) { _ = planner.plan(line: i) }
            visible += Date().timeIntervalSince(start)
        }
        let n = Double(edits)
        print("script    \(document.script.count) lines, \(edits) edits")
        print(String(format: "planning  %.1f ms an edit (every line's speaker, words, take record)", planning / n * 1000))
        print(String(format: "length    %.1f ms an edit (the title's length of the dialogue)", length / n * 1000))
        print(String(format: "plans     %.1f ms an edit (40 lines on screen)", visible / n * 1000))
        print(String(format: "total     %.1f ms an edit", (planning + length + visible) / n * 1000))
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
