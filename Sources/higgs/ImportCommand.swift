import ArgumentParser
import Foundation
import Studio

/// `higgs import`: a script written elsewhere (a transcript of `Name: text` lines, a screenplay in
/// Fountain, plain text) as a new project, its speakers cast with automatic voices.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make a project (*.higgs) of a script written elsewhere: Name: text lines, a Fountain screenplay, subtitles (.srt, .vtt), or plain text.",
        discussion: """
            `Name: text` lines and screenplay dialogue (a character cue in capitals, then the lines spoken) become \
            `[Name] text` turns and every name joins the cast with an automatic voice; parentheticals are dropped; \
            a screenplay's scene headings and sections become `#` notes (never spoken); other lines are kept as \
            written. Nothing is overwritten: the project must not exist yet.
            """
    )

    @Argument(help: "The script (UTF-8 text).")
    var script: String

    @Option(name: .shortAndLong, help: "The project to write (default: the script's name with .higgs).")
    var out: String?

    func run() throws {
        let source = URL(fileURLWithPath: script)
        let target = URL(fileURLWithPath: out ?? source.deletingPathExtension().appendingPathExtension("higgs").path)
        do {
            guard target.pathExtension == "higgs" else { throw StudioError("\(target.path): a project's name ends in .higgs") }
            guard !FileManager.default.fileExists(atPath: target.path) else {
                throw StudioError("\(target.path): already exists (choose another with --out)")
            }
            let data: Data
            do { data = try Data(contentsOf: source) } catch { throw StudioError("\(source.path): cannot read it") }
            guard let text = String(data: data, encoding: .utf8) else { throw StudioError("\(source.path): not UTF-8 text") }
            let imported = ScriptImport.read(text)
            let project = imported.project
            try ProjectFile.save(project, to: target)
            for remark in imported.remarks {
                FileHandle.standardError.write(Data("higgs: \(source.path):\(remark.line): \(remark.message)\n".utf8))
            }
            // Lines that say something: notes (headings, cues) are not counted.
            let turns = project.script.filter { !ScriptLine($0).saysNothing }.count
            let cast = project.cast.isEmpty ? "no speakers found" : "cast: " + project.cast.map(\.name).joined(separator: ", ")
            var placed = ""
            if let cues = imported.cues, cues.count > 0 {
                placed = cues.placed == cues.count ? ", placed at their \(cues.count) subtitle cues (fit-cues: 10)"
                    : ", placed at \(cues.placed) of their \(cues.count) subtitle cues (fit-cues: 10; the rest said above)"
            }
            FileHandle.standardError.write(Data(("wrote \(target.path): \(turns) lines\(placed); \(cast) (automatic voices; "
                + "`higgs studio \(target.lastPathComponent)` to choose them)\n").utf8))
        } catch {
            FileHandle.standardError.write(Data("higgs: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
