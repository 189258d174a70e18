import Foundation
import Studio
import TestSupport

/// What the end-to-end tests start the studio with.
extension EndToEndTests {
    /// The flags of the test checkpoints (written into `folder`): a model the studio loads in a moment, at bf16.
    static func testModelFlags(in folder: URL) throws -> [String] {
        ["--model", try CheckpointFixtures.modelFolder(in: folder).path,
         "--audio-tokenizer", try CheckpointFixtures.audioTokenizer(in: folder).path, "--precision", "bf16"]
    }

    /// The studio open on `project`, saved as `name` in `folder` (playing to `null`), once its screen shows `text`;
    /// `environment` adds to its variables (another TERM).
    static func studio(on project: Project, named name: String, in folder: URL, showing text: String,
                       width: Int = 160, height: Int = 30, environment: [String: String] = [:]) throws -> (file: URL, tmux: TmuxSession) {
        let file = folder.appendingPathComponent(name)
        try ProjectFile.save(project, to: file)
        let tmux = try TmuxSession(width: width, height: height, folder: folder)
        try tmux.launchStudio(libraryFlags + ["--audio-device", "null", name], environment: environment)
        try tmux.waitFor("the project") { $0.contains(text) }
        return (file, tmux)
    }

    /// The studio with the test model open on `project`, saved as `name` in `folder` (playing to `null`), once the
    /// engine is in.
    static func studioWithEngine(on project: Project, named name: String, in folder: URL,
                                 width: Int = 160, height: Int = 30) throws -> TmuxSession {
        try ProjectFile.save(project, to: folder.appendingPathComponent(name))
        let tmux = try TmuxSession(width: width, height: height, folder: folder)
        try tmux.launchStudio(try testModelFlags(in: folder) + ["--audio-device", "null", name] + libraryFlags)
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        return tmux
    }

    /// The studio open on `p.higgs` in `folder`, a project of one line ("First line."), on its first screen.
    static func studioOnOneLine(in folder: URL) throws -> (file: URL, tmux: TmuxSession) {
        try studio(on: Project(script: ["[SPEAKER0] First line."]), named: "p.higgs", in: folder, showing: "First line.")
    }
}
