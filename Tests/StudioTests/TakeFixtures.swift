import Generation
import Studio

extension DialoguePlanner {
    /// Keeps `samples` as line `line`'s take, as if the engine had made them (seed 42, one frame of codes):
    /// the take the export, "play from here" and the title then find for it.
    func keepTake(_ samples: [Float], line: Int) throws {
        guard let plan = plan(line: line), let key = plan.key else { throw StudioError("line \(line + 1) cannot be planned") }
        try takes.add(GeneratedTake(codes: try AudioCodes(rows: Array(repeating: [1], count: 8)), samples: samples),
                      key: key, seed: 42, reseeded: false, line: plan.identity, transcript: plan.transcript, engine: "")
    }
}
