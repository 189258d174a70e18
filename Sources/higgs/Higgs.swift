import ArgumentParser
import Foundation
import Kernels
import Studio

@main
struct Higgs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "higgs",
        abstract: "Higgs Studio: write multi-speaker scripts and hear them with Higgs Audio v2, on the CPU.",
        version: "higgs 0.1.0 (Higgs Audio v2: bosonai/higgs-audio-v2-generation-3B-base, bosonai/higgs-audio-v2-tokenizer)",
        subcommands: [StudioCommand.self, ImportCommand.self, RenderCommand.self, VoicesCommand.self, TakesCommand.self, GenerateCommand.self, DoctorCommand.self,
                      DownloadCommand.self, TokenizeCommand.self, BenchCommand.self, DecodeCommand.self, EncodeCommand.self],
        defaultSubcommand: StudioCommand.self
    )

    static func main() {
        BLAS.restartOnPreferredCore()  // before any thread, terminal or file is opened
        // A reader gone (`higgs render X 2>&1 | head`) is a failed write, not the end of the process: a render's
        // messages are dropped and its work goes on; a command's output that cannot be written ends it below.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot(nil)
            // Every command reads the config file (for its folders, if not its engine): one that does not read is said
            // once, here. The studio says it on its screen, and `doctor` in its report.
            if !(command is StudioCommand || command is DoctorCommand),
               let problem = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil).configProblem {
                Console.error("higgs: \(problem); the config file is not used\n")
            }
            try command.run()
            // What a command prints is its result: one that did not reach stdout (a full disk) is a failure.
            if let problem = Console.outputProblem() {
                // Its reader gone (`higgs takes | head -1`): ended quietly, as the signal would have ended it.
                if problem.readerGone { exit(withError: ExitCode(128 + SIGPIPE)) }
                Console.error("higgs: \(problem.said)\n")
                exit(withError: ExitCode.failure)
            }
        } catch {
            // A command's own failure (the parser's "other" errors: exit 1 with a message) reads as every command
            // words it, `higgs: FILE: problem`, not `Error: ...`; help, refused flags (with the usage) and exit codes
            // stay the parser's.
            let message = message(for: error)
            guard exitCode(for: error) == .failure, !message.isEmpty else { exit(withError: error) }
            Console.error("higgs: \(message)\n")
            exit(withError: ExitCode.failure)
        }
    }
}
