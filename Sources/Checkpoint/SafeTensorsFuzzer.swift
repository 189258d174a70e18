import Foundation

/// Random and mutated safetensors files for robustness runs of `SafeTensorsHeader.parse`:
/// a few hundred cases in the tests, hundreds of thousands in `higgs bench fuzz-safetensors`.
///
/// Each case is either noise, a valid file, or a valid file with one to four mutations of the
/// length field, the JSON text or the bytes. The parser must throw a `CheckpointError` or return
/// entries that satisfy the format's invariants; it must never trap.
public struct SafeTensorsFuzzer {
    public struct Outcome: Sendable {
        public var accepted = 0
        public var rejected = 0
        /// Rejection messages by their first words, to show what the cases exercised.
        public var reasons: [String: Int] = [:]
    }

    private var rng: SplitMix64

    public init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    /// Runs `count` cases and returns what happened; throws if the parser accepted an invalid file.
    public mutating func run(cases count: Int) throws -> Outcome {
        var outcome = Outcome()
        for _ in 0..<count {
            let bytes = nextCase()
            let result: (entries: [SafeTensorsEntry], dataOffset: Int)
            do {
                result = try bytes.withUnsafeBytes { try SafeTensorsHeader.parse($0, file: "fuzz.safetensors") }
            } catch let error as CheckpointError {
                outcome.rejected += 1
                outcome.reasons[Self.kind(of: error.problem), default: 0] += 1
                continue
            }
            try Self.checkInvariants(result.entries, dataOffset: result.dataOffset, fileSize: bytes.count)
            outcome.accepted += 1
        }
        return outcome
    }

    /// A message with names and numbers blanked, so that rejections group by kind.
    static func kind(of problem: String) -> String {
        var out = ""
        var quoted = false
        for ch in problem {
            if ch == "'" { quoted.toggle(); if quoted { out += "'…'" }; continue }
            if quoted { continue }
            if ch.isNumber { if out.last != "#" { out.append("#") }; continue }
            out.append(ch)
        }
        return out.split(separator: " ").prefix(7).joined(separator: " ")
    }

    /// What an accepted header must guarantee to the code that reads tensors through it.
    static func checkInvariants(_ entries: [SafeTensorsEntry], dataOffset: Int, fileSize: Int) throws {
        let dataSize = fileSize - dataOffset
        var ranges: [Range<Int>] = []
        for e in entries {
            let expected = e.shape.reduce(1, *) * e.dtype.byteWidth
            guard e.dataRange.lowerBound >= 0, e.dataRange.upperBound <= dataSize, e.dataRange.count == expected else {
                throw CheckpointError(file: "fuzz.safetensors", "accepted an entry out of bounds or of the wrong size: \(e)")
            }
            if !e.dataRange.isEmpty { ranges.append(e.dataRange) }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.lowerBound < a.upperBound {
            throw CheckpointError(file: "fuzz.safetensors", "accepted overlapping entries \(a) and \(b)")
        }
    }

    // MARK: - Cases

    mutating func nextCase() -> [UInt8] {
        switch rng.below(10) {
        case 0: return noise()
        case 1: return validFile()
        default:
            var bytes = validFile()
            for _ in 0...rng.below(4) { mutate(&bytes) }
            return bytes
        }
    }

    private mutating func noise() -> [UInt8] {
        var bytes = (0..<rng.below(96)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        if bytes.count >= 8, rng.below(2) == 0 {
            let length = UInt64(rng.below(bytes.count))
            withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        }
        return bytes
    }

    private mutating func validFile() -> [UInt8] {
        let dtypes: [(String, Int)] = [("BF16", 2), ("F16", 2), ("F32", 4), ("I64", 8)]
        var header = "{"
        var offset = 0
        if rng.below(3) == 0 { header += "\"__metadata__\":{\"format\":\"pt\"}," }
        let count = rng.below(5)
        for i in 0..<count {
            let (dtype, width) = dtypes[rng.below(dtypes.count)]
            let shape = (0..<rng.below(4)).map { _ in rng.below(5) }
            let bytes = shape.reduce(1, *) * width
            header += "\"t\(i).weight\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            if i < count - 1 { header += "," }
            offset += bytes
        }
        header += "}"
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(contentsOf: (0..<offset).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        return bytes
    }

    private static let jsonPieces = ["-1", "1e309", "18446744073709551616", "9223372036854775807", "1.5", "null",
                                     "true", "[]", "{}", "\"\"", "[1,2]", "[0,999999999]", "\"F64\"", "\"BF16\"",
                                     "\"shape\"", "\"data_offsets\"", "\"dtype\"", ",", ":", "{", "}", "[", "]", "\"",
                                     "\\u0000", "\u{FEFF}", "0", "-0", "4294967296", "[[1]]", "[-5, 3]"]

    private mutating func mutate(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { bytes = noise(); return }
        let headerEnd = min(bytes.count, 8 + Int(min(UInt64(bytes.count), Self.headerLength(bytes))))
        switch rng.below(8) {
        case 0: // flip a byte anywhere
            bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
        case 1: // truncate
            bytes.removeLast(rng.below(bytes.count) + 1)
        case 2: // rewrite the length field
            guard bytes.count >= 8 else { return }
            let choices: [UInt64] = [0, 1, UInt64(bytes.count), UInt64(bytes.count - 8), UInt64(bytes.count - 7), .max,
                                     UInt64(Int64.max), 1 << 32, Self.headerLength(bytes) &+ 1, Self.headerLength(bytes) &- 1]
            let value = choices[rng.below(choices.count)]
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        case 3, 4, 5: // splice a JSON piece into the header text, keeping the length field honest
            guard headerEnd > 8 else { return }
            let at = 8 + rng.below(headerEnd - 8)
            let cut = min(rng.below(4), headerEnd - at)
            let piece = Array(Self.jsonPieces[rng.below(Self.jsonPieces.count)].utf8)
            bytes.replaceSubrange(at..<at + cut, with: piece)
            let newLength = UInt64(headerEnd - 8 - cut + piece.count)
            withUnsafeBytes(of: newLength.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        case 6: // change a digit in the header (shapes and offsets)
            guard headerEnd > 8 else { return }
            let digits = (8..<headerEnd).filter { bytes[$0] >= 48 && bytes[$0] <= 57 }
            guard let i = digits.randomElement(using: &rng) else { return }
            bytes[i] = UInt8(48 + rng.below(10))
        default: // append or drop data bytes
            if rng.below(2) == 0 { bytes.append(contentsOf: [UInt8](repeating: 0, count: rng.below(16) + 1)) }
            else if bytes.count > headerEnd { bytes.removeLast(min(bytes.count - headerEnd, rng.below(8) + 1)) }
        }
    }

    private static func headerLength(_ bytes: [UInt8]) -> UInt64 {
        guard bytes.count >= 8 else { return 0 }
        return bytes[0..<8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }
}
