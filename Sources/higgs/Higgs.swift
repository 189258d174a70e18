import ArgumentParser
import Foundation
import Kernels

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
        main(nil)
    }
}
