/// Finds added (special) tokens in text before it is split into words, as the reference does:
/// leftmost match first, and the longest one where several start at the same place.
struct AddedTokenMatcher {
    /// Trie over the tokens' UTF-8 bytes: edges per node, and the id ending at each node (-1 if none).
    private var edges: [[UInt8: Int32]] = [[:]]
    private var ids: [Int32] = [-1]
    /// Bytes that start some token, so most positions are rejected with one lookup.
    private var starts = [Bool](repeating: false, count: 256)

    var isEmpty: Bool { ids.count == 1 }

    mutating func add(_ content: String, id: Int) {
        let bytes = Array(content.utf8)
        guard let first = bytes.first else { return }
        starts[Int(first)] = true
        var node = 0
        for byte in bytes {
            if let child = edges[node][byte] {
                node = Int(child)
            } else {
                edges.append([:])
                ids.append(-1)
                edges[node][byte] = Int32(edges.count - 1)
                node = edges.count - 1
            }
        }
        ids[node] = Int32(id)
    }

    /// The first token in `text[from..<end]`: its byte range and id.
    func firstMatch(in text: UnsafeBufferPointer<UInt8>, from: Int, to end: Int) -> (range: Range<Int>, id: Int)? {
        guard !isEmpty else { return nil }
        var start = from
        while start < end {
            if starts[Int(text[start])] {
                var node = 0
                var index = start
                var longest: (end: Int, id: Int32)?
                while index < end, let child = edges[node][text[index]] {
                    node = Int(child)
                    index += 1
                    if ids[node] >= 0 { longest = (index, ids[node]) }
                }
                if let longest { return (start..<longest.end, Int(longest.id)) }
            }
            start += 1
        }
        return nil
    }
}
