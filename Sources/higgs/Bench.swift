import ArgumentParser

/// `higgs bench`: measurements, never timed tests. With no subcommand, the full model benchmark.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed (and fuzz parsers) on this machine.",
        subcommands: [BenchModel.self, BenchLine.self, BenchCodec.self, BenchTokenizer.self, BenchKernels.self, BenchScript.self, BenchFuzzSafeTensors.self, BenchFuzzTorch.self],
        defaultSubcommand: BenchModel.self
    )
}
