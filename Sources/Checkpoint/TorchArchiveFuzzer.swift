import Foundation

/// Random and mutated `torch.save` archives for robustness runs of `TorchArchive`: a few hundred
/// cases in the tests, as many as wanted in `higgs bench fuzz-torch`.
///
/// A case is a valid archive (from `TorchArchiveWriter`), then one to four mutations: the zip
/// truncated or with bytes flipped, or the pickle mutated (bytes flipped, hostile opcodes spliced
/// in, ranges cut or repeated) and the archive rebuilt around it so the zip layer passes and the
/// unpickler is what gets exercised. Opening must throw a `CheckpointError` or give tensors whose
/// every byte can be read; it must never trap.
public struct TorchArchiveFuzzer {
    public struct Outcome: Sendable {
        public var accepted = 0
        public var rejected = 0
        /// Rejection messages by their first words, to show what the cases exercised.
        public var reasons: [String: Int] = [:]
    }

    private var rng: SplitMix64
    /// Keeps the reads of accepted tensors from being optimised away.
    public private(set) var touched: UInt32 = 0

    public init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    public mutating func run(cases count: Int) throws -> Outcome {
        var outcome = Outcome()
        for _ in 0..<count {
            let bytes = nextCase()
            let archive: TorchArchive
            do {
                archive = try TorchArchive(data: bytes, location: "fuzz.pth")
            } catch let error as CheckpointError {
                outcome.rejected += 1
                outcome.reasons[SafeTensorsFuzzer.kind(of: error.problem), default: 0] += 1
                continue
            }
            // Touch every byte of every accepted tensor.
            var sum: Float = 0
            for name in archive.tensorNames {
                guard let t = archive.tensorIfPresent(name) else {
                    throw CheckpointError(file: "fuzz.pth", "listed tensor '\(name)' is not there")
                }
                for x in t.floats() { sum += x }
            }
            touched &+= sum.bitPattern
            outcome.accepted += 1
        }
        return outcome
    }

    // MARK: - Cases

    mutating func nextCase() -> Data {
        var tensors = validTensors()
        if rng.below(2) == 0 {
            // Mutate the pickle and rebuild a well-formed zip around it.
            var pickle = [UInt8](TorchArchiveWriter.pickle(tensors))
            for _ in 0...rng.below(4) { mutatePickle(&pickle) }
            if rng.below(4) == 0, !tensors.isEmpty { tensors.removeLast() }  // a storage goes missing
            return TorchArchiveWriter.zip(pickle: Data(pickle), storages: tensors.map(\.bytes))
        }
        var bytes = [UInt8](TorchArchiveWriter.archive(tensors))
        for _ in 0...rng.below(4) { mutateZip(&bytes) }
        return Data(bytes)
    }

    private mutating func validTensors() -> [TorchArchiveWriter.Tensor] {
        let dtypes: [DType] = [.f32, .f16, .bf16, .i64]
        return (0..<rng.below(5)).map { i in
            let dtype = dtypes[rng.below(dtypes.count)]
            let shape = (0..<rng.below(4)).map { _ in rng.below(5) + (rng.below(8) == 0 ? 60 : 0) }
            let bytes = Data((0..<shape.reduce(1, *) * dtype.byteWidth).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            return TorchArchiveWriter.Tensor(name: "layer.\(i).weight", dtype: dtype, shape: shape, bytes: bytes)
        }
    }

    /// Opcodes and fragments that stress the unpickler: calls of forbidden globals, huge lengths,
    /// memo reads of unwritten slots, stack underflows, deep nesting.
    private static let pickleFragments: [[UInt8]] = [
        Array("cos\nsystem\n".utf8), Array("cbuiltins\neval\n".utf8), Array("ctorch\nDoubleStorage\n".utf8),
        Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8), Array("ccollections\nOrderedDict\n".utf8),
        [0x52], [0x62], [0x51], [0x2E], [0x28], [0x74], [0x29], [0x7D], [0x5D], [0x73], [0x75], [0x61], [0x65],
        [0x30], [0x32], [0x93], [0x94], [0x85], [0x86], [0x87],
        [0x58, 0xFF, 0xFF, 0xFF, 0x7F], [0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0x42, 0xFF, 0xFF, 0xFF, 0xFF],
        [0x6A, 0xFF, 0xFF, 0xFF, 0xFF], [0x72, 0xFF, 0xFF, 0xFF, 0xFF], [0x68, 0xC8], [0x71, 0x07],
        [0x8A, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0x8B, 0xFF, 0xFF, 0xFF, 0x7F], [0x4A, 0xFF, 0xFF, 0xFF, 0xFF],
        [0x8A, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x80], [0x4B, 0xFF], [0x4D, 0xFF, 0xFF], [0x80, 0x07], [0x95, 1, 0, 0, 0, 0, 0, 0, 0],
        [0x47, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0], [0x88], [0x89], [0x4E],
        [UInt8](repeating: 0x28, count: 64), [UInt8](repeating: 0x85, count: 64),
    ]

    private mutating func mutatePickle(_ p: inout [UInt8]) {
        guard !p.isEmpty else { p = Self.pickleFragments[rng.below(Self.pickleFragments.count)]; return }
        switch rng.below(7) {
        case 0:
            p[rng.below(p.count)] ^= UInt8(1 << rng.below(8))
        case 1:
            p[rng.below(p.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 2, 3:
            p.insert(contentsOf: Self.pickleFragments[rng.below(Self.pickleFragments.count)], at: rng.below(p.count + 1))
        case 4:
            let start = rng.below(p.count), length = min(rng.below(16) + 1, p.count - start)
            p.removeSubrange(start..<start + length)
        case 5:
            let start = rng.below(p.count), length = min(rng.below(64) + 1, p.count - start)
            let piece = Array(p[start..<start + length])
            p.insert(contentsOf: piece, at: rng.below(p.count + 1))
        default:
            // Change a small integer argument (shapes, strides, offsets, element counts).
            let ints = p.indices.dropLast().filter { p[$0] == 0x4B }
            if let i = ints.randomElement(using: &rng) { p[i + 1] = UInt8(truncatingIfNeeded: rng.next()) }
        }
    }

    private mutating func mutateZip(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        switch rng.below(6) {
        case 5:
            // Mark an entry deflated (method 8) in its central directory record, or give it a huge size.
            let records = (0..<max(0, bytes.count - 46)).filter {
                bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 0x01 && bytes[$0 + 3] == 0x02
            }
            guard let at = records.randomElement(using: &rng) else { return }
            if rng.below(2) == 0 {
                bytes[at + 10] = 8
            } else {
                bytes[at + 10] = 8
                bytes.replaceSubrange((at + 24)..<(at + 28), with: [0xFF, 0xFF, 0xFF, 0x7F])
            }
        case 0:
            bytes.removeLast(rng.below(bytes.count) + 1)
        case 1:
            bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
        case 2:
            // Damage the end of the file, where the central directory lies.
            let span = min(bytes.count, 200)
            let at = bytes.count - 1 - rng.below(span)
            bytes[at] = UInt8(truncatingIfNeeded: rng.next())
        case 3:
            // Saturate a 32-bit field to pretend zip64.
            guard bytes.count >= 4 else { return }
            let at = rng.below(bytes.count - 3)
            bytes.replaceSubrange(at..<at + 4, with: [0xFF, 0xFF, 0xFF, 0xFF])
        default:
            bytes.insert(contentsOf: (0..<rng.below(8) + 1).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: rng.below(bytes.count))
        }
    }
}
