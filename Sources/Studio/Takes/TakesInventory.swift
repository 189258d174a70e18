import Foundation

/// What a takes folder holds for a project's lines and what it holds for lines that are gone (edited,
/// deleted, recast): the studio keeps every take, so a line edited back finds its takes again, and the
/// folder only grows until the writer asks for the unused ones to go.
public struct TakesInventory: Equatable, Sendable {
    /// Takes listed by a line of the project (all of a line's takes, so that `[` and `]` still find them).
    public var used: Set<String> = []
    /// Takes no line of the project lists.
    public var unused: Set<String> = []
    /// Line records (`lines/HASH-N.json`) of lines the project no longer has.
    public var unusedRecords: [String] = []
    public var usedBytes = 0
    public var unusedBytes = 0
}

extension TakeStore {
    /// Sorts the folder's takes by whether one of `lines` (a project's line identities) lists them.
    public func inventory(of lines: [LineIdentity]) -> TakesInventory {
        let manager = FileManager.default
        let files = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        let keys = Set(files.compactMap { file -> String? in
            let key = String(file.prefix { $0 != "." })
            return TakeKey.isKey(key) && (file == "\(key).wav" || file == "\(key).json") ? key : nil
        })
        var inventory = TakesInventory()
        let current = Set(lines.map { "\($0).json" })
        for line in lines {
            for take in takes(for: line, transcript: "").takes where keys.contains(take.key) { inventory.used.insert(take.key) }
        }
        inventory.unused = keys.subtracting(inventory.used)
        let records = (try? manager.contentsOfDirectory(atPath: folder.appendingPathComponent("lines").path)) ?? []
        inventory.unusedRecords = records.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") && !current.contains($0) }.sorted()
        func size(_ key: String) -> Int {
            [audioURL(key), codesURL(key)].reduce(0) { sum, url in
                sum + ((try? manager.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0)
            }
        }
        inventory.usedBytes = inventory.used.reduce(0) { $0 + size($1) }
        inventory.unusedBytes = inventory.unused.reduce(0) { $0 + size($1) }
        return inventory
    }

    /// Deletes the unused takes and line records of `inventory`; the first file that cannot go stops it,
    /// naming the file (what was deleted before it stays deleted, what was used is never touched).
    public func removeUnused(_ inventory: TakesInventory) throws {
        for key in inventory.unused.sorted() {
            for url in [audioURL(key), codesURL(key)] where FileManager.default.fileExists(atPath: url.path) {
                do { try FileManager.default.removeItem(at: url) } catch { throw StudioError("\(url.path): cannot delete it") }
            }
        }
        for record in inventory.unusedRecords {
            let url = folder.appendingPathComponent("lines").appendingPathComponent(record)
            do { try FileManager.default.removeItem(at: url) } catch { throw StudioError("\(url.path): cannot delete it") }
        }
    }
}
