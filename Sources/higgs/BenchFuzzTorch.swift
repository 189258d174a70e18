import ArgumentParser
import Checkpoint
import Foundation

/// A long robustness run of the torch archive reader over mutated archives and pickles.
struct BenchFuzzTorch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz-torch",
        abstract: "Feed mutated torch.save archives (zip and pickle) to the reader; any crash fails."
    )

    @Option(help: "How many cases to run.")
    var cases = 100_000

    @Option(help: "Seed of the case generator.")
    var seed: UInt64 = 1

    func run() throws {
        var fuzzer = TorchArchiveFuzzer(seed: seed)
        let start = Date()
        let outcome = try fuzzer.run(cases: cases)
        let seconds = Date().timeIntervalSince(start)
        print("cases \(cases), accepted \(outcome.accepted), rejected \(outcome.rejected), no crash, "
              + String(format: "%.1f s (%.0f cases/s)", seconds, Double(cases) / seconds))
        for (reason, count) in outcome.reasons.sorted(by: { $0.value > $1.value }).prefix(12) {
            print(String(format: "%8d  %@...", count, reason))
        }
    }
}
