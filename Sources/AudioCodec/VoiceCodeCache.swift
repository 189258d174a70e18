import AudioIO
import Foundation
import Generation

/// Codes of reference voice clips (`Voices/NAME.wav`), encoded once per clip and tokenizer.
///
/// Entries are keyed by a hash of the clip's bytes and the tokenizer's identity, held in memory
/// and, when a cache folder is given, as codes files under it (by default
/// `$XDG_CACHE_HOME/higgs-studio/voice-codes`, else `~/.cache/higgs-studio/voice-codes`), never
/// beside the user's files. A damaged cache file is re-encoded and replaced.
public final class VoiceCodeCache: @unchecked Sendable {
    public let tokenizer: AudioTokenizer
    public let folder: URL?
    private let lock = NSCondition()
    private var memory: [String: AudioCodes] = [:]
    /// Clips being read or encoded now: a second caller waits for the first (two jobs, or a job and the
    /// prefill ahead, with one new clip voice) rather than encoding the clip again beside it.
    private var inFlight: Set<String> = []
    private var encodings = 0

    /// Clips this cache has encoded (not found in memory or on disk).
    public var encoded: Int { lock.withLock { encodings } }

    public init(tokenizer: AudioTokenizer, folder: URL? = VoiceCodeCache.defaultFolder) {
        self.tokenizer = tokenizer
        self.folder = folder
    }

    public static var defaultFolder: URL? {
        let environment = ProcessInfo.processInfo.environment
        let base: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg)
        } else if let home = environment["HOME"], !home.isEmpty {
            base = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        } else {
            return nil
        }
        return base.appendingPathComponent("higgs-studio").appendingPathComponent("voice-codes")
    }

    /// The longest clip encoded, in seconds.
    public static let longestClip = 60.0

    /// The codes of a WAV clip, from the cache when this clip was encoded before by this tokenizer.
    public func codes(forClip url: URL) throws -> AudioCodes {
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch {
            throw AudioFileError(file: url.path, FileManager.default.fileExists(atPath: url.path) ? "cannot read" : "file not found")
        }
        let key = Self.hash(bytes, salt: tokenizer.identity)
        lock.lock()
        while inFlight.contains(key) { lock.wait() }
        if let known = memory[key] {
            lock.unlock()
            return known
        }
        inFlight.insert(key)
        lock.unlock()
        defer {
            lock.lock()
            inFlight.remove(key)
            lock.broadcast()
            lock.unlock()
        }

        let file = folder?.appendingPathComponent("\(key).json")
        if let file, let cached = try? CodesFile.codes(of: CodesFile.read(file)), cached.numCodebooks == tokenizer.codebookCount,
           cached.rows.allSatisfy({ $0.allSatisfy { (0..<tokenizer.codebookSize).contains($0) } }) {
            remember(cached, key)
            return cached
        }
        let audio = try WAVFile.decode(bytes, file: url.path)
        // A long clip would hold up its line for minutes here (the encoder cannot be stopped halfway), then make
        // every prompt long: refused before.
        guard audio.duration <= Self.longestClip else {
            throw AudioFileError(file: url.path, String(format: "%.0f s of audio: a voice clip over %.0f s is not used (it would take ", audio.duration, Self.longestClip)
                + "minutes to encode, and make every prompt long); cut it to 5 to 20 s of one person speaking")
        }
        let codes = try tokenizer.encode(audio)
        lock.withLock { encodings += 1 }
        if let folder, let file {
            // A cache that cannot be written only costs time later; it is not an error.
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try? codes.codesFile(frameRate: tokenizer.frameRate).write(to: file, options: .atomic)
        }
        remember(codes, key)
        return codes
    }

    private func remember(_ codes: AudioCodes, _ key: String) {
        lock.lock()
        memory[key] = codes
        lock.unlock()
    }

    /// 128 bits of FNV-1a over the clip and the tokenizer identity, as hex: a cache key, not a signature.
    static func hash(_ data: Data, salt: String) -> String {
        var a: UInt64 = 0xCBF2_9CE4_8422_2325, b: UInt64 = 0x6C62_272E_07BB_0142
        func mix(_ byte: UInt8) {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9
        }
        for byte in salt.utf8 { mix(byte) }
        mix(0)
        data.withUnsafeBytes { for byte in $0 { mix(byte) } }
        return String(format: "%016llx%016llx", a, b)
    }
}
