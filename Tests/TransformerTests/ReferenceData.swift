import Foundation
import Testing
import TestSupport
import Transformer

/// A prefill recorded from the reference (Tools/fixtures/model_cases.py): the expanded input and the
/// float32 arrays it produced (raw little-endian floats in a .bin, indexed by a JSON file).
struct ReferencePrefill {
    let geometry: String
    let input: ModelInput
    let textLogitPositions: [Int]
    let audioLogitPositions: [Int]
    private let arrays: [String: (offset: Int, shape: [Int])]
    private let floats: [Float]

    init(_ geometry: String, numCodebooks: Int) throws {
        self.geometry = geometry
        let doc = try Fixtures.json("TransformerTests", "prefill-\(geometry).json") as! [String: Any]
        let expanded = doc["expanded"] as! [String: Any]
        input = Self.input(expanded, numCodebooks: numCodebooks)
        textLogitPositions = doc["text_logit_positions"] as! [Int]
        audioLogitPositions = doc["audio_logit_positions"] as! [Int]
        var arrays: [String: (Int, [Int])] = [:]
        for (name, entry) in doc["arrays"] as! [String: [String: Any]] {
            arrays[name] = (entry["offset"] as! Int, entry["shape"] as! [Int])
        }
        self.arrays = arrays
        let data = try Data(contentsOf: Fixtures.url("TransformerTests", "prefill-\(geometry).bin"))
        floats = data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// The model input from the reference's expansion: kinds (0 text, 1 audio-in, 2 audio-out), ids, codes.
    static func input(_ expanded: [String: Any], numCodebooks: Int) -> ModelInput {
        let kinds = expanded["kinds"] as! [Int]
        let ids = expanded["ids"] as! [Int]
        let codes = expanded["codes"] as! [[Int]]
        var input = ModelInput(numCodebooks: numCodebooks)
        for (p, kind) in kinds.enumerated() {
            switch kind {
            case 0: input.appendText(ids[p])
            case 1: input.appendAudio(.audioIn, frame: codes[p])
            default: input.appendAudio(.audioOut, frame: codes[p])
            }
        }
        return input
    }

    func array(_ name: String) -> (values: ArraySlice<Float>, shape: [Int]) {
        let (offset, shape) = arrays[name]!
        return (floats[offset..<offset + shape.reduce(1, *)], shape)
    }
}

/// Largest absolute difference divided by the largest magnitude of the reference.
func relativeError(_ ours: some Collection<Float>, _ reference: some Collection<Float>) -> Float {
    precondition(ours.count == reference.count, "sizes differ: \(ours.count) vs \(reference.count)")
    var difference: Float = 0, magnitude: Float = 0
    for (a, b) in zip(ours, reference) {
        difference = max(difference, abs(a - b))
        magnitude = max(magnitude, abs(b))
    }
    return difference / max(magnitude, .leastNormalMagnitude)
}

/// The checkpoint folders written by the fixture script.
enum Geometry: String, CaseIterable, CustomStringConvertible {
    case a, b

    var folder: URL { Fixtures.url("TransformerTests", "geometry-\(rawValue)") }
    var description: String { "geometry \(rawValue.uppercased())" }

    func load() throws -> Model { try Model.load(folder: folder) }
}
