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
                Console.error("higgs: \(problem)\n")
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
