import ArgumentParser
import StudioTerminal

struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Open the studio (the default when no subcommand is given)."
    )

    @Argument(help: "A project file (*.higgs) to open.")
    var project: String?

    func run() throws {
        try StudioScreen.run(projectPath: project)
    }
}
