import AudioIO
import Foundation
import Prompt
import Generation

/// One generated take of a line, as its line index records it.
public struct TakeInfo: Equatable, Sendable {
    public var key: String
    public var seed: UInt64
    /// Made by "regenerate with a new seed": the line keeps this seed instead of the project's.
    public var reseeded: Bool
    public var frames: Int
    public var samples: Int
    /// ISO 8601, UTC.
    public var created: String
    /// The engine that made it (for the takes list), e.g. `higgs-audio-v2-generation-3B-base q8`.
    public var engine: String
    /// It was stopped at its limit, not ended by the model (`GeneratedTake.cut`).
    public var cut: Bool
    /// That limit was the project's `max-new-tokens` (`GeneratedTake.atMaxNewTokens`), not the runaway stop.
    public var atMaxNewTokens: Bool
    /// Its samples from the first sounding frame to the last (`TakeTrim.sound`), for the length of a trimmed
    /// export without reading the audio; nil for silence, and for takes recorded before it was kept.
    public var sound: Range<Int>?

    public init(key: String, seed: UInt64, reseeded: Bool, frames: Int, samples: Int, created: String, engine: String,
                cut: Bool = false, atMaxNewTokens: Bool = false, sound: Range<Int>? = nil) {
        self.key = key
        self.seed = seed
        self.reseeded = reseeded
        self.frames = frames
        self.samples = samples
        self.created = created
        self.engine = engine
        self.cut = cut
        self.atMaxNewTokens = cut && atMaxNewTokens
        self.sound = sound
    }

    /// Cut at the runaway stop (`GeneratedTake.ranOn`).
    public var ranOn: Bool { cut && !atMaxNewTokens }

    public var seconds: Double { Double(samples) / Double(AudioFormat.sampleRate) }

    /// When it was made, in this machine's time as the studio shows times (`created` as written, if it does not read).
    public var createdLocally: String {
        guard let date = ISO8601DateFormatter().date(from: created) else { return created }
        return LocalTime.shown(date)
    }
}

/// Takes another program deleted, as `TakeStore.vanishedTakes()` finds them.
public struct VanishedTakes: Equatable, Sendable {
    /// The takes folder itself is gone.
    public var folderGone: Bool
    /// Lines of those read whose chosen take went.
    public var lines: Int
}

/// Moments as the studio shows them (a take made, an autosave written): this machine's time, to the second.
public enum LocalTime {
    public static func shown(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: date)
    }
}

/// The takes of one line: every take made for it, oldest first, and the one chosen.
public struct LineTakes: Equatable, Sendable {
    public var transcript: String
    public var takes: [TakeInfo]
    public var chosen: String?

    public init(transcript: String, takes: [TakeInfo] = [], chosen: String? = nil) {
        self.transcript = transcript
        self.takes = takes
        self.chosen = chosen
    }

    /// The chosen take, else the newest.
    public var current: TakeInfo? {
        if let chosen, let take = takes.first(where: { $0.key == chosen }) { return take }
        return takes.last
    }
}

/// A project's takes folder, `NAME.takes/`:
/// - `KEY.json`: the take's codes (the codes-file format, one chunk);
/// - `KEY.wav`: its audio, float32 at 24 kHz (exact, so playback and export see what the engine made);
/// - `lines/HASH-N.json`: the line index, `{"transcript", "chosen", "takes": [...]}`.
/// Takes are never overwritten or deleted by the studio; every write is atomic. Thread-safe.
public final class TakeStore: @unchecked Sendable {
    public let folder: URL
    private let lock = NSLock()
    private var indexes: [LineIdentity: LineTakes] = [:]
    /// Where takes recorded without `TakeInfo.sound` sound, once their audio has been read.
    private var learnedSounds: [String: Range<Int>?] = [:]

    /// Takes seen on disk: the studio never deletes one (see `hadTake`).
    private var seen: Set<String> = []
    private let folderPath: String
    /// The folder's modification time when `vanishedTakes()` last looked (nil: no folder); a change made by
    /// another program (a take deleted, the folder removed) changes it.
    private var lookedAtStamp: Date?
    /// Lines whose chosen take `forget(takes:)` found gone since `vanishedTakes()` last told.
    private var forgottenLines = 0

    public init(folder: URL) {
        self.folder = folder
        folderPath = folder.path
        lookedAtStamp = TakeStore.stamp(folderPath)
    }

    /// `NAME.takes` beside `NAME.higgs` (beside the file a link leads to: `ProjectFile.companion`).
    public static func folder(forProject url: URL) -> URL {
        ProjectFile.companion(of: url, "takes")
    }

    /// The takes of the project at `old` given to the copy saved at `new` as hard links (no second copy of the
    /// audio; safe since takes are never written in place, every write replacing the file), a file copied where
    /// a link cannot be made (another file system). Nothing happens when the copy has takes already.
    public static func share(fromProject old: URL, toProject new: URL) {
        let from = folder(forProject: old), to = folder(forProject: new), fm = FileManager.default
        guard fm.fileExists(atPath: from.path), !fm.fileExists(atPath: to.path), let files = fm.enumerator(atPath: from.path) else { return }
        for case let file as String in files {
            let source = from.appendingPathComponent(file), target = to.appendingPathComponent(file)
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: source.path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                try? fm.createDirectory(at: target, withIntermediateDirectories: true)
            } else {
                try? fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                if (try? fm.linkItem(at: source, to: target)) == nil { try? fm.copyItem(at: source, to: target) }
            }
        }
    }

    private var linesFolder: URL { folder.appendingPathComponent("lines") }

    public func audioURL(_ key: String) -> URL { folder.appendingPathComponent("\(key).wav") }
    public func codesURL(_ key: String) -> URL { folder.appendingPathComponent("\(key).json") }

    /// True when both files of the take exist.
    public func hasTake(_ key: String) -> Bool {
        guard filesExist(key) else { return false }
        lock.lock()
        seen.insert(key)
        lock.unlock()
        return true
    }

    /// Both files of the take are on disk (asked with or without the lock held).
    func filesExist(_ key: String) -> Bool {
        let base = folderPath + "/" + key  // the paths of audioURL and codesURL, without building URLs for them
        return FileManager.default.fileExists(atPath: base + ".wav") && FileManager.default.fileExists(atPath: base + ".json")
    }

    /// `hasTake`, remembered once true. The studio never deletes a take, so what is asked on every keystroke
    /// (the title's length of the dialogue) need not ask the disk again; a take deleted by hand still counts
    /// there until `vanishedTakes()` finds it gone, while exports and playback ask `hasTake`.
    public func hadTake(_ key: String) -> Bool {
        lock.lock()
        let known = seen.contains(key)
        lock.unlock()
        return known || hasTake(key)
    }

    /// The takes of a line (empty when it has none).
    public func takes(for line: LineIdentity, transcript: String) -> LineTakes {
        lock.lock()
        defer { lock.unlock() }
        if let cached = indexes[line] { return cached }
        let loaded = readPresentIndex(line) ?? LineTakes(transcript: transcript)
        indexes[line] = loaded
        return loaded
    }

    /// Stores a new take of a line and makes it the chosen one.
    @discardableResult
    public func add(_ take: GeneratedTake, key: String, seed: UInt64, reseeded: Bool, line: LineIdentity,
                    transcript: String, engine: String) throws -> TakeInfo {
        let before = TakeStore.stamp(folderPath)
        try FileManager.default.createDirectory(at: linesFolder, withIntermediateDirectories: true)
        let chunk = CodesFile.Chunk(text: transcript, promptIDs: take.promptIDs, codes: take.codes)
        try AtomicFile.write(CodesFile.encode([chunk]), to: codesURL(key))
        do {
            try WAVFile.write(take.samples, sampleRate: AudioFormat.sampleRate, to: audioURL(key), format: .float32)
        } catch {
            // A take is its codes and its audio: codes alone (the disk full) would only take more room.
            try? FileManager.default.removeItem(at: codesURL(key))
            throw error
        }
        wrote(after: before)
        let info = TakeInfo(key: key, seed: seed, reseeded: reseeded, frames: take.codes.frameCount,
                            samples: take.samples.count, created: TakeStore.now(), engine: engine, cut: take.cut,
                            atMaxNewTokens: take.atMaxNewTokens,
                            sound: TakeTrim.sound(take.samples))
        try updateIndex(line, transcript: transcript) { index in
            index.takes.removeAll { $0.key == key }
            index.takes.append(info)
            index.chosen = key
        }
        return info
    }

    /// Records an existing take (made for another line identity, or found on disk) as chosen for `line`.
    public func choose(_ key: String, line: LineIdentity, transcript: String, adopting info: TakeInfo? = nil) throws {
        try updateIndex(line, transcript: transcript) { index in
            if !index.takes.contains(where: { $0.key == key }), let info { index.takes.append(info) }
            if index.takes.contains(where: { $0.key == key }) { index.chosen = key }
        }
    }

    /// Finds the record of a take in any index already loaded (a line edited back to an earlier text).
    public func info(for key: String) -> TakeInfo? {
        lock.lock()
        defer { lock.unlock() }
        for index in indexes.values { if let t = index.takes.first(where: { $0.key == key }) { return t } }
        return nil
    }

    /// The take's audio (24 kHz mono floats).
    public func samples(_ key: String) throws -> [Float] {
        try WAVFile.read(audioURL(key)).samples
    }

    /// Where a take's audio sounds (`TakeTrim.sound`): from its record, else worked out from `samples` (its
    /// audio) and remembered for `knownSound`.
    public func sound(of take: TakeInfo, in samples: [Float]) -> Range<Int>? {
        if let sound = take.sound { return sound }
        lock.lock()
        defer { lock.unlock() }
        if let learned = learnedSounds[take.key] { return learned }
        let sound = TakeTrim.sound(samples)
        learnedSounds[take.key] = sound
        return sound
    }

    /// Where a take sounds, when its record or an earlier read of its audio says; nil (whole) else.
    public func knownSound(of take: TakeInfo) -> Range<Int>? {
        if let sound = take.sound { return sound }
        lock.lock()
        defer { lock.unlock() }
        return learnedSounds[take.key] ?? nil
    }

    /// The take's codes.
    public func codes(_ key: String) throws -> AudioCodes {
        let url = codesURL(key)
        guard let data = try? Data(contentsOf: url) else { throw StudioError("\(url.path): cannot read the take's codes") }
        guard let chunk = try CodesFile.decode(data, file: url.path).first else {
            throw StudioError("\(url.path): no chunk in the codes file")
        }
        return chunk.codes
    }

    // MARK: Index files

    private func indexURL(_ line: LineIdentity) -> URL { linesFolder.appendingPathComponent("\(line).json") }

    private func updateIndex(_ line: LineIdentity, transcript: String, _ change: (inout LineTakes) -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        var index = indexes[line] ?? readPresentIndex(line) ?? LineTakes(transcript: transcript)
        change(&index)
        try FileManager.default.createDirectory(at: linesFolder, withIntermediateDirectories: true)
        try AtomicFile.write(TakeStore.encode(index), to: indexURL(line))
        indexes[line] = index
    }

    private func readIndex(_ line: LineIdentity) -> LineTakes? {
        // By a path, not a URL: a long script's first plan asks for every line's, most of them not there.
        guard let data = FileManager.default.contents(atPath: folderPath + "/lines/\(line).json") else { return nil }
        return TakeStore.decode(data)
    }

    /// The line's record less the takes whose files are gone (deleted by hand): a take that cannot be played,
    /// exported or given as context is no take. Those found are remembered as seen, as `hasTake` does.
    private func readPresentIndex(_ line: LineIdentity) -> LineTakes? {
        guard var index = readIndex(line) else { return nil }
        index.takes.removeAll { take in
            if seen.contains(take.key) { return false }
            guard filesExist(take.key) else { return true }
            seen.insert(take.key)
            return false
        }
        return index
    }

    // MARK: Takes gone from disk

    /// The folder's modification time, nil when there is no folder.
    private static func stamp(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// After this store wrote into the folder: its own change is not another program's (unless one came
    /// before it, since the last look: that is still found).
    private func wrote(after before: Date?) {
        lock.lock()
        defer { lock.unlock() }
        if lookedAtStamp == before { lookedAtStamp = TakeStore.stamp(folderPath) }
    }

    /// What another program took away since the last look: whether the folder itself is gone, and how many lines
    /// of those read lost their chosen take. Their records are read again (less what is gone) when next asked
    /// for. Nil when nothing went. Cheap when nothing changed (a look at the folder's modification time), so it
    /// can be asked once a second; when something did, every take of the records read is looked for.
    public func vanishedTakes() -> VanishedTakes? {
        let now = TakeStore.stamp(folderPath)
        lock.lock()
        defer { lock.unlock() }
        var lines = forgottenLines
        forgottenLines = 0
        if now != lookedAtStamp {
            lookedAtStamp = now
            if now == nil { seen.removeAll() }
            for (line, index) in indexes {
                let gone = index.takes.map(\.key).filter { now == nil || !filesExist($0) }
                guard !gone.isEmpty else { continue }
                if let current = index.current?.key, gone.contains(current) { lines += 1 }
                indexes[line] = nil
                seen.subtract(gone)
                for key in gone { learnedSounds[key] = nil }
            }
        }
        return lines > 0 ? VanishedTakes(folderGone: now == nil, lines: lines) : nil
    }

    /// Takes found gone while being used (a context line's, as a line is made): no record read lists them
    /// any more, and the next `vanishedTakes()` counts the lines that had them.
    public func forget(takes keys: [String]) {
        lock.lock()
        defer { lock.unlock() }
        let gone = Set(keys)
        for (line, index) in indexes where index.takes.contains(where: { gone.contains($0.key) }) {
            if let current = index.current?.key, gone.contains(current) { forgottenLines += 1 }
            indexes[line] = nil
        }
        seen.subtract(gone)
    }

    static func encode(_ index: LineTakes) -> Data {
        var out = "{\"transcript\": \(CodesFile.jsonString(index.transcript)),\n"
        out += " \"chosen\": \(index.chosen.map(CodesFile.jsonString) ?? "null"),\n \"takes\": [\n"
        out += index.takes.map { t in
            "  {\"key\": \"\(t.key)\", \"seed\": \(t.seed), \"reseeded\": \(t.reseeded), \"frames\": \(t.frames), "
                + "\"samples\": \(t.samples), \"created\": \"\(t.created)\", \"engine\": \(CodesFile.jsonString(t.engine))"
                + (t.cut ? ", \"cut\": true" : "") + (t.atMaxNewTokens ? ", \"limit\": \"max-new-tokens\"" : "")
                + (t.sound.map { ", \"sound\": [\($0.lowerBound), \($0.upperBound)]" } ?? "") + "}"
        }.joined(separator: ",\n")
        out += "\n]}\n"
        return Data(out.utf8)
    }

    static func decode(_ data: Data) -> LineTakes? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        let takes: [TakeInfo] = ((root["takes"] as? [[String: Any]]) ?? []).compactMap { t in
            guard let key = t["key"] as? String, TakeKey.isKey(key) else { return nil }
            return TakeInfo(key: key, seed: (t["seed"] as? NSNumber)?.uint64Value ?? 0,
                            reseeded: (t["reseeded"] as? Bool) ?? false,
                            frames: (t["frames"] as? NSNumber)?.intValue ?? 0,
                            samples: (t["samples"] as? NSNumber)?.intValue ?? 0,
                            created: t["created"] as? String ?? "", engine: t["engine"] as? String ?? "",
                            cut: (t["cut"] as? Bool) ?? false, atMaxNewTokens: t["limit"] as? String == "max-new-tokens",
                            sound: soundSpan(t["sound"]))
        }
        return LineTakes(transcript: root["transcript"] as? String ?? "", takes: takes, chosen: root["chosen"] as? String)
    }

    /// A recorded `[start, end]`, when it is one.
    private static func soundSpan(_ value: Any?) -> Range<Int>? {
        guard let pair = value as? [NSNumber], pair.count == 2 else { return nil }
        let (start, end) = (pair[0].intValue, pair[1].intValue)
        return start >= 0 && start < end ? start..<end : nil
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}
