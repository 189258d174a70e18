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
    /// 4-bit blocks of 32 with an f16 scale (4.5 bits per weight), the most sensitive matrices wider.
    case q4

    /// The format a weight matrix gets. q4 keeps its most sensitive matrices wider, as llama.cpp's
    /// Q4_K_M does: the audio head in 8 bits, the attention's value and output projections in 6 (4-bit
    /// error there dominated the logits' error; 6 bits keep most of 8's accuracy for three quarters of its
    /// bytes, and they are an eighth of a step's weights), and the text FFN in 6, which audio steps
    /// never read but every text position of a prompt does (its 4-bit error was a quarter of the
    /// logits' error, at no cost in decode speed).
    public func format(of name: String) -> Quantization.Format? {
        switch self {
        case .bf16: return nil
        case .q8: return .q8
        case .q4:
            if name == "audio_decoder_proj.audio_lm_head.weight" { return .q8 }
            // ".mlp." is the text FFN (the audio one is "audio_mlp.").
            let six = name.hasSuffix("self_attn.v_proj.weight") || name.hasSuffix("self_attn.o_proj.weight")
                || name.contains(".mlp.")
            return six ? .q6 : .q4
        }
    }
}

/// Where quantized weights are kept between runs, so that a second start maps them (and copies the
/// matrices of the audio steps, a second or so) instead of quantizing again (half a minute). Files are
/// keyed by the checkpoint's identity (its files' names, sizes and modification times) and the
/// precision; a stale or damaged file is simply rebuilt, and writing a checkpoint's new file removes the
/// file its earlier files had at that precision.
public struct QuantizedWeightCache: Sendable {
    public let folder: URL?

    public init(folder: URL?) { self.folder = folder }

    /// No cache: quantize at every load.
    public static let disabled = QuantizedWeightCache(folder: nil)

    /// `$HIGGS_CACHE`, else `$XDG_CACHE_HOME/higgs-studio/weights`, else `~/.cache/higgs-studio/weights`, `~`
    /// being `$HOME` as for the studio's other folders (Foundation's home directory is the account's, not `$HOME`).
    public static var standard: QuantizedWeightCache {
        let env = ProcessInfo.processInfo.environment
        if let own = env["HIGGS_CACHE"], !own.isEmpty {
            return QuantizedWeightCache(folder: URL(fileURLWithPath: own).appendingPathComponent("weights"))
        }
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? home.appendingPathComponent(".cache")
        return QuantizedWeightCache(folder: base.appendingPathComponent("higgs-studio/weights"))
    }
}

extension QuantizedWeightCache {
    /// A file of the cache, as its header describes it (for `higgs doctor`).
    public struct File: Sendable {
        public enum Standing: Sendable, Equatable {
            /// A start at its precision maps it.
            case current
            /// The checkpoint's files changed since: the next start at its precision replaces it.
            case checkpointChanged
            /// Its checkpoint folder is not there (moved, deleted, or on a drive not mounted now).
            case checkpointGone
            /// Written by an earlier format of the cache: no start reads it again.
            case olderFormat
        }

        public let url: URL
        public let bytes: Int
        public let precision: String
        /// The checkpoint folder it was written for.
        public let checkpoint: String
        public let standing: Standing
    }

    /// The files in the folder that carry the cache's header, by name; none when there is no folder.
    public func files() -> [File] {
        guard let folder else { return [] }
        return QuantizedWeights.headers(in: folder).map { url, header in
            let checkpoint = QuantizedWeights.checkpointFolder(of: header.source).map(String.init) ?? header.source
            let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            let standing: File.Standing
            if header.version != QuantizedWeights.version {
                standing = .olderFormat
            } else if !FileManager.default.fileExists(atPath: URL(fileURLWithPath: checkpoint).appendingPathComponent("config.json").path) {
                standing = .checkpointGone
            } else {
                standing = Model.identity(of: URL(fileURLWithPath: checkpoint)) == header.source ? .current : .checkpointChanged
            }
            return File(url: url, bytes: bytes, precision: header.precision, checkpoint: checkpoint, standing: standing)
        }
    }
}

/// The quantized matrices of one model. From a cache file, the matrices every audio step reads are copied
/// into one block of memory (`QuantizedStorage`, in huge pages where the system gives them: a q4 decode
/// step ran about 5% faster than from the file's pages) and the others (text FFN of DualFFN layers,
/// text head) stay mapped, touched only if text positions need them. Without a cache, all live in memory.
final class QuantizedWeights {
    struct Entry {
        let name: String
        let format: Quantization.Format
        let rows: Int
        let cols: Int
        let offset: Int  // bytes from the start of the data

        var bytes: Int { Quantization.bytes(rows: rows, cols: cols, format: format) }
        /// Bytes it spans where matrices are laid out one after another, each 64-byte aligned.
        var alignedBytes: Int { (bytes + 63) / 64 * 64 }
    }

    let matrices: [String: Matrix]
    /// True when the weights came from an existing cache file.
    let reused: Bool

    static let magic = Array("HIGGSQNT".utf8)
    /// 2: rows in pairs with their scales inline.
    static let version = 2

    /// The cached quantization of `names` (name -> [rows, cols]) if there is a valid one, else quantizes
    /// them from `store` (writing the cache when it can: it is only ever an optimisation). `resident`
    /// names the matrices to hold in memory rather than leave mapped; `progress` hears the fraction of
    /// the weights quantized so far (not called when the cache serves).
    static func obtain(
        _ shapes: [String: [Int]], from store: TensorStore, precision: WeightPrecision, cache: QuantizedWeightCache,
        identity: String, resident: (String) -> Bool, progress: ((Double) -> Void)? = nil
    ) throws -> QuantizedWeights {
        guard precision != .bf16 else { throw CheckpointError(file: store.location, "bf16 is not quantized") }
        let layout = Self.layout(shapes, precision: precision)
        let head = header(layout, precision: precision, identity: identity)
        let file = cache.folder?.appendingPathComponent(fileName(identity: identity, precision: precision))
        if let file, let matrices = open(file, layout: layout, header: head, resident: resident) {
            return QuantizedWeights(matrices: matrices, reused: true)
        }
        var storage: QuantizedStorage? = QuantizedStorage(bytes: dataBytes(layout))
        let matrices = try quantize(layout, from: store, data: storage!.base, owner: storage!, progress: progress)
        guard let file, (try? write(storage!, header: head, to: file)) != nil else {
            return QuantizedWeights(matrices: matrices, reused: false)
        }
        removeSuperseded(by: file, identity: identity, precision: precision)
        // Written, the file serves this load as it will the next (the text matrices mapped, not held);
        // the quantized copy goes first, so that the two never sit in memory together.
        storage = nil
        _ = consume matrices
        if let mapped = open(file, layout: layout, header: head, resident: resident) {
            return QuantizedWeights(matrices: mapped, reused: false)
        }
        return try obtain(shapes, from: store, precision: precision, cache: .disabled, identity: identity, resident: resident)
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
            let entry = Entry(name: name, format: precision.format(of: name)!, rows: rows, cols: cols, offset: offset)
            offset += entry.alignedBytes
            return entry
        }
    }

    static func dataBytes(_ layout: [Entry]) -> Int {
        layout.last.map { $0.offset + $0.bytes } ?? 0
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

    /// The matrices of a cache file whose header is `header` and that holds all of `layout`, the
    /// `resident` ones copied out of the mapping (whose pages for them are then dropped); nil when the
    /// file is missing, stale or short.
    private static func open(_ file: URL, layout: [Entry], header: [UInt8], resident: (String) -> Bool) -> [String: Matrix]? {
        guard let mapped = try? MappedFile(url: file), mapped.count >= header.count + dataBytes(layout),
              let base = mapped.bytes.baseAddress,
              Array(UnsafeRawBufferPointer(rebasing: mapped.bytes[0..<header.count])) == header else { return nil }
        let data = base + header.count
        // The resident matrices packed in layout order, each 64-byte aligned as in the file.
        var offsets: [String: Int] = [:], total = 0
        for e in layout where resident(e.name) {
            offsets[e.name] = total
            total += e.alignedBytes
        }
        let storage = QuantizedStorage(bytes: total)
        var matrices: [String: Matrix] = [:]
        for e in layout {
            if let offset = offsets[e.name] {
                let source = UnsafeRawBufferPointer(start: data + e.offset, count: e.bytes)
                (storage.base + offset).copyMemory(from: source.baseAddress!, byteCount: e.bytes)
                mapped.releasePages(of: source)
                matrices[e.name] = view(e, data: UnsafeRawPointer(storage.base + offset), owner: storage)
            } else {
                matrices[e.name] = view(e, data: data + e.offset, owner: mapped)
            }
        }
        return matrices
    }

    private static func view(_ e: Entry, data: UnsafeRawPointer, owner: AnyObject) -> Matrix {
        let rows = Matrix.QuantizedRows(data: data, paddedCols: Matrix.QuantizedRows.paddedCols(for: e.cols))
        return Matrix(rows: e.rows, cols: e.cols, elements: .quantized(rows, e.format), owner: owner)
    }

    /// Writes the cache file beside its final name, then renames it into place: a reader never sees a
    /// partial file, and one that read the old file keeps its own copy.
    private static func write(_ storage: QuantizedStorage, header: [UInt8], to file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        let fd = Glibc.open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError(url: temporary, "cannot create") }
        var keep = false
        defer {
            close(fd)
            if !keep { unlink(temporary.path) }
        }
        func writeFully(_ source: UnsafeRawPointer, count: Int) -> Bool {
            var done = 0
            while done < count {
                let n = Glibc.write(fd, source + done, min(count - done, 1 << 30))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
        let written = header.withUnsafeBytes { writeFully($0.baseAddress!, count: header.count) }
            && writeFully(storage.base, count: storage.count)
        guard written, fsync(fd) == 0, rename(temporary.path, file.path) == 0 else {
            throw CheckpointError(url: file, "cannot write the quantized weights (\(String(cString: strerror(errno))))")
        }
        keep = true
    }

    /// Removes the cache files that `file` supersedes: the same checkpoint folder at the same precision under
    /// an earlier identity (its files changed since: a new download, a rewritten checkpoint). Nothing would
    /// serve them again unless the old files came back as they were, and each holds gigabytes. Files of other
    /// folders or precisions stay, and so does anything whose header this cache did not write. A process
    /// that has an old file mapped keeps reading it (the name goes, the pages stay until unmapped).
    static func removeSuperseded(by file: URL, identity: String, precision: WeightPrecision) {
        guard let checkpoint = checkpointFolder(of: identity) else { return }
        for (other, header) in headers(in: file.deletingLastPathComponent())
        where other.lastPathComponent.hasSuffix("-\(precision.rawValue).weights") && other.lastPathComponent != file.lastPathComponent
            && header.precision == precision.rawValue && header.source != identity && checkpointFolder(of: header.source) == checkpoint {
            try? FileManager.default.removeItem(at: other)
        }
    }

    /// The files of a cache folder with their headers, by name: those the cache wrote, and not the ones still
    /// being written (hidden, `.NAME.PID.tmp`, until renamed into place).
    static func headers(in folder: URL) -> [(url: URL, header: Header)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return names.compactMap { name in
            let url = folder.appendingPathComponent(name)
            return header(of: url).map { (url, $0) }
        }
    }

    /// The checkpoint folder an identity (`Model.identity(of:)`) names: what comes before `|config.json:`
    /// (every model folder has that file, and its name sorts before the weights'). Nil for identities of
    /// another form.
    static func checkpointFolder(of identity: String) -> Substring? {
        identity.range(of: "|config.json:").map { identity[..<$0.lowerBound] }
    }

    /// What a cache file's header says: its format version, precision and the identity it was written for.
    typealias Header = (version: Int, precision: String, source: String)

    /// A cache file's header; nil when the file is not one of this cache's.
    static func header(of file: URL) -> Header? {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return nil }
        defer { try? handle.close() }
        guard let start = try? handle.read(upToCount: 16), start.count == 16,
              Array(start.prefix(magic.count)) == magic else { return nil }
        func word(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(start[start.startIndex + at + $1]) << (8 * $1) } }
        let length = word(12)
        guard length > 0, length <= 64 << 20, let json = try? handle.read(upToCount: length), json.count == length,
              let fields = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let precision = fields["precision"] as? String, let source = fields["source"] as? String else { return nil }
        return (word(8), precision, source)
    }

    /// Quantizes every matrix of `layout` into `data`, releasing each source tensor's pages once done
    /// so that the bf16 checkpoint never sits in memory whole.
    private static func quantize(_ layout: [Entry], from store: TensorStore, data: UnsafeMutableRawPointer,
                                 owner: AnyObject, progress: ((Double) -> Void)?) throws -> [String: Matrix] {
        let reader = WeightReader(store: store)
        var matrices: [String: Matrix] = [:]
        let total = Double(layout.reduce(0) { $0 + $1.rows * $1.cols })
        var done = 0
        for e in layout {
            let source = try reader.matrix(e.name, rows: e.rows, cols: e.cols)
            matrices[e.name] = Quantization.quantize(source, format: e.format, into: data + e.offset, owner: owner)
            try store.tensor(e.name).releasePages()
            done += e.rows * e.cols
            progress?(Double(done) / total)
        }
        return matrices
    }
}
