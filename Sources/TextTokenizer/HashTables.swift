import Foundation

/// A hash table from byte strings to 32-bit values, with the keys packed in one array.
///
/// Used for the vocabulary (token bytes -> id) and the per-word cache (word bytes -> cached ids), where
/// a `[[UInt8]: Int]` would hash with SipHash and allocate an array per key.
struct ByteTable {
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int32] = [0]
    private var hashes: [UInt32] = []
    private(set) var values: [Int32] = []
    /// Entry index + 1 per slot, 0 where empty; the slot count is a power of two, at most half full.
    private var slots: [Int32]

    init(minimumCapacity: Int = 16) {
        var slotCount = 16
        while slotCount < minimumCapacity * 2 { slotCount <<= 1 }
        slots = [Int32](repeating: 0, count: slotCount)
    }

    var count: Int { values.count }

    /// Bytes stored for keys, for bounding caches.
    var byteCount: Int { keyBytes.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        // FNV-1a: words are short, so a byte loop is as fast as anything fancier here.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }

    func value(for key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let hash = Self.hash(key)
        return slots.withUnsafeBufferPointer { slots in
            keyBytes.withUnsafeBufferPointer { keyBytes in
                let mask = slots.count - 1
                var slot = Int(hash) & mask
                while true {
                    let entry = Int(slots[slot]) - 1
                    if entry < 0 { return nil }
                    if hashes[entry] == hash {
                        let start = Int(keyStarts[entry]), end = Int(keyStarts[entry + 1])
                        if end - start == key.count
                            && (key.isEmpty || memcmp(keyBytes.baseAddress! + start, key.baseAddress!, key.count) == 0) {
                            return values[entry]
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Adds `key`, or replaces its value.
    mutating func set(_ value: Int32, for key: UnsafeBufferPointer<UInt8>) {
        let hash = Self.hash(key)
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { break }
            if hashes[entry] == hash && keyBytes[Int(keyStarts[entry])..<Int(keyStarts[entry + 1])].elementsEqual(key) {
                values[entry] = value
                return
            }
            slot = (slot + 1) & mask
        }
        keyBytes.append(contentsOf: key)
        keyStarts.append(Int32(keyBytes.count))
        hashes.append(hash)
        values.append(value)
        slots[slot] = Int32(values.count)
        if values.count * 2 > slots.count { grow() }
    }

    mutating func set(_ value: Int32, for key: [UInt8]) {
        key.withUnsafeBufferPointer { set(value, for: $0) }
    }

    func value(for key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { value(for: $0) }
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for entry in hashes.indices {
            var slot = Int(hashes[entry]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry + 1)
        }
    }

    mutating func removeAll() {
        keyBytes.removeAll(keepingCapacity: true)
        keyStarts.removeAll(keepingCapacity: true)
        keyStarts.append(0)
        hashes.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        for index in slots.indices { slots[index] = 0 }
    }
}

/// The merge table: a pair of adjacent token ids -> the merge's rank and the id it makes.
struct MergeTable {
    struct Merge {
        let rank: Int32
        let result: Int32
    }

    private var keys: [UInt64]
    private var merges: [Merge]
    private var used: [Bool]
    private(set) var count = 0

    init(minimumCapacity: Int) {
        var slotCount = 16
        while slotCount < minimumCapacity * 2 { slotCount <<= 1 }
        keys = [UInt64](repeating: 0, count: slotCount)
        merges = [Merge](repeating: Merge(rank: 0, result: 0), count: slotCount)
        used = [Bool](repeating: false, count: slotCount)
    }

    @inline(__always)
    private static func slot(of key: UInt64, mask: Int) -> Int {
        // Fibonacci hashing spreads the two packed ids over the table.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> Merge? {
        let key = Self.key(left, right)
        let mask = keys.count - 1
        var slot = Self.slot(of: key, mask: mask)
        while used[slot] {
            if keys[slot] == key { return merges[slot] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Adds a merge; a later merge of the same pair replaces the earlier one, as in the reference's map.
    mutating func insert(_ left: Int32, _ right: Int32, _ merge: Merge) {
        if (count + 1) * 2 > keys.count { grow() }
        let key = Self.key(left, right)
        let mask = keys.count - 1
        var slot = Self.slot(of: key, mask: mask)
        while used[slot] {
            if keys[slot] == key {
                merges[slot] = merge
                return
            }
            slot = (slot + 1) & mask
        }
        used[slot] = true
        keys[slot] = key
        merges[slot] = merge
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldMerges = merges, oldUsed = used
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        merges = [Merge](repeating: Merge(rank: 0, result: 0), count: oldKeys.count * 2)
        used = [Bool](repeating: false, count: oldKeys.count * 2)
        let mask = keys.count - 1
        for index in oldKeys.indices where oldUsed[index] {
            var slot = Self.slot(of: oldKeys[index], mask: mask)
            while used[slot] { slot = (slot + 1) & mask }
            used[slot] = true
            keys[slot] = oldKeys[index]
            merges[slot] = oldMerges[index]
        }
    }
}
