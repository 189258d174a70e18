import Foundation
import Studio

extension ProjectFile {
    /// Reads a project for a command, saying on stderr what its file holds that this version keeps without using
    /// (a newer version's setting): the command goes on, and whoever runs it learns why that setting has no effect.
    static func loadSayingWarnings(_ url: URL) throws -> Project {
        let parsed = try read(url)
        for warning in parsed.warnings {
            Console.error("higgs: \(warning)\n")
        }
        return parsed.project
    }
}
