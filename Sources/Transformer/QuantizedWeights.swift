import Foundation
import Checkpoint
import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// How the model's weight matrices are held while it runs.
public enum WeightPrecision: String, CaseIterable, Sendable {
    /// As published: the bf16 checkpoint memory-mapped and widened in the kernels.
    case bf16
    /// 8-bit blocks of 32 with an f16 scale (8.5 bits per weight).
    case q8
    /// 4-bit blocks of 32 with an f16 scale (4.5 bits per weight), the most sensitive matrices in q8.
    case q4

    /// The format a weight matrix gets. q4 keeps the attention's value and output projections and
    /// the audio head in 8 bits, as llama.cpp's Q4_K_M keeps its most sensitive matrices wider: 4-bit
    /// error there dominates the logits' error, and they are only an eighth of the bytes of a step.
    func format(of name: String) -> Quantization.Format? {
        switch self {
        case .bf16: return nil
        case .q8: return .q8
        case .q4:
            let wide = name.hasSuffix("self_attn.v_proj.weight") || name.hasSuffix("self_attn.o_proj.weight")
                || name == "audio_decoder_proj.audio_lm_head.weight"
            return wide ? .q8 : .q4
        }
    }
}

/// Where quantized weights are kept between runs, so that a second start maps them instead of
/// quantizing again. Files are keyed by the checkpoint's identity (its files' names, sizes and
/// modification times) and the precision; a stale or damaged file is simply rebuilt.
public struct QuantizedWeightCache: Sendable {
    public let folder: URL?

    public init(folder: URL?) { self.folder = folder }

    /// No cache: quantize at every load.
    public static let disabled = QuantizedWeightCache(folder: nil)

    /// `$HIGGS_CACHE`, else `$XDG_CACHE_HOME/higgs-studio/weights`, else `~/.cache/higgs-studio/weights`.
    public static var standard: QuantizedWeightCache {
        let env = ProcessInfo.processInfo.environment
        if let own = env["HIGGS_CACHE"], !own.isEmpty {
            return QuantizedWeightCache(folder: URL(fileURLWithPath: own).appendingPathComponent("weights"))
        }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return QuantizedWeightCache(folder: base.appendingPathComponent("higgs-studio/weights"))
    }
}

/// The quantized matrices of one model, laid out in one block of memory: a cache file mapped
/// read-only, or heap memory when there is no cache.
final class QuantizedWeights {
    struct Entry {
        let name: String
        let format: Quantization.Format
        let rows: Int
        let cols: Int
        let offset: Int  // bytes from the start of the data
    }

    let matrices: [String: Matrix]
    /// True when the weights came from an existing cache file.
    let reused: Bool

    static let magic = Array("HIGGSQNT".utf8)
    /// 2: rows in pairs with their scales inline.
    static let version = 2

    /// Maps the cached quantization of `names` (name -> [rows, cols]) if there is a valid one, or
    /// quantizes them from `store` (writing the cache when it can).
    static func obtain(
        _ shapes: [String: [Int]], from store: TensorStore, precision: WeightPrecision, cache: QuantizedWeightCache,
        identity: String
    ) throws -> QuantizedWeights {
        guard precision != .bf16 else { throw CheckpointError(file: store.location, "bf16 is not quantized") }
        let layout = Self.layout(shapes, precision: precision)
        let file = cache.folder?.appendingPathComponent(fileName(identity: identity, precision: precision))
        if let file, let mapped = try? MappedFile(url: file), let weights = open(mapped, layout: layout, precision: precision, identity: identity) {
            return weights
        }
        if let file, let weights = try? build(layout, from: store, precision: precision, identity: identity, file: file) {
            return weights
        }
        // No usable cache folder: keep the quantized weights in memory.
        let storage = QuantizedStorage(bytes: dataBytes(layout))
        let matrices = try quantize(layout, from: store, data: storage.base, owner: storage)
        return QuantizedWeights(matrices: matrices, reused: false)
    }

    private init(matrices: [String: Matrix], reused: Bool) {
        self.matrices = matrices
        self.reused = reused
    }

    /// Offsets of every matrix, 64-byte aligned, in name order.
    static func layout(_ shapes: [String: [Int]], precision: WeightPrecision) -> [Entry] {
        var offset = 0
        return shapes.keys.sorted().map { name in
            let rows = shapes[name]![0], cols = shapes[name]![1]
            let format = precision.format(of: name)!
            let entry = Entry(name: name, format: format, rows: rows, cols: cols, offset: offset)
            offset += (Quantization.bytes(rows: rows, cols: cols, format: format) + 63) / 64 * 64
            return entry
        }
    }

    static func dataBytes(_ layout: [Entry]) -> Int {
        layout.last.map { $0.offset + Quantization.bytes(rows: $0.rows, cols: $0.cols, format: $0.format) } ?? 0
    }

    static func fileName(identity: String, precision: WeightPrecision) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in identity.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(format: "%016llx-%@.weights", hash, precision.rawValue)
    }

    /// The header: magic, version, then a JSON length and the JSON naming the source and the layout.
    static func header(_ layout: [Entry], precision: WeightPrecision, identity: String) -> [UInt8] {
        let tensors = layout.map { [$0.name, $0.format.name, $0.rows, $0.cols, $0.offset] as [Any] }
        let json = try! JSONSerialization.data(withJSONObject: ["precision": precision.rawValue, "source": identity, "tensors": tensors],
                                               options: [.sortedKeys])
        var bytes = magic
        withUnsafeBytes(of: UInt32(version).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        while bytes.count % 4096 != 0 { bytes.append(0) }
        return bytes
    }

    private static func open(_ file: MappedFile, layout: [Entry], precision: WeightPrecision, identity: String) -> QuantizedWeights? {
        let expected = header(layout, precision: precision, identity: identity)
        guard file.count >= expected.count, Array(UnsafeRawBufferPointer(rebasing: file.bytes[0..<expected.count])) == expected,
              let data = file.bytes.baseAddress.map({ $0 + expected.count }) else { return nil }
        let available = file.count - expected.count
        var matrices: [String: Matrix] = [:]
        guard dataBytes(layout) <= available else { return nil }
        for e in layout {
            matrices[e.name] = view(e, data: data, owner: file)
        }
        return QuantizedWeights(matrices: matrices, reused: true)
    }

    private static func view(_ e: Entry, data: UnsafeRawPointer, owner: AnyObject) -> Matrix {
        let rows = Matrix.QuantizedRows(data: data + e.offset, paddedCols: Matrix.QuantizedRows.paddedCols(for: e.cols))
        return Matrix(rows: e.rows, cols: e.cols, elements: e.format == .q8 ? .q8(rows) : .q4(rows), owner: owner)
    }

    /// Quantizes into a new cache file (written beside its final name, then renamed) and maps it.
    private static func build(_ layout: [Entry], from store: TensorStore, precision: WeightPrecision, identity: String,
                              file: URL) throws -> QuantizedWeights {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let head = header(layout, precision: precision, identity: identity)
        let total = head.count + dataBytes(layout)
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        let fd = Glibc.open(temporary.path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError(url: temporary, "cannot create") }
        var keep = false
        defer {
            close(fd)
            if !keep { unlink(temporary.path) }
        }
        guard ftruncate(fd, off_t(total)) == 0,
              let base = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw CheckpointError(url: temporary, "cannot size or map (\(String(cString: strerror(errno))))")
        }
        head.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: head.count) }
        final class Unowned {}
        _ = try quantize(layout, from: store, data: base + head.count, owner: Unowned())
        let synced = msync(base, total, MS_SYNC) == 0 && fsync(fd) == 0
        munmap(base, total)
        guard synced, rename(temporary.path, file.path) == 0 else {
            throw CheckpointError(url: file, "cannot write the quantized weights")
        }
        keep = true
        guard let weights = open(try MappedFile(url: file), layout: layout, precision: precision, identity: identity) else {
            throw CheckpointError(url: file, "quantized weights unreadable after writing")
        }
        return QuantizedWeights(matrices: weights.matrices, reused: false)
    }

    /// Quantizes every matrix of `layout` into `data`, releasing each source tensor's pages once done
    /// so that the bf16 checkpoint never sits in memory whole.
    private static func quantize(_ layout: [Entry], from store: TensorStore,
                                 data: UnsafeMutableRawPointer, owner: AnyObject) throws -> [String: Matrix] {
        let reader = WeightReader(store: store)
        var matrices: [String: Matrix] = [:]
        for e in layout {
            let source = try reader.matrix(e.name, rows: e.rows, cols: e.cols)
            matrices[e.name] = Quantization.quantize(source, format: e.format, into: data + e.offset, owner: owner)
            try store.tensor(e.name).releasePages()
        }
        return matrices
    }
}
