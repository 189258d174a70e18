import Kernels

/// The text token embedding (`embed_tokens`): one row per token id.
struct TokenEmbedding {
    let table: Matrix  // [vocab, hidden]

    func lookup(_ token: Int, into row: UnsafeMutablePointer<Float>) {
        table.copyRows(token..<token + 1, into: row)
    }
}

/// Audio codes are embedded by summing one row per codebook from a shared table in which codebook `k`
/// owns rows `k * entries ..< (k + 1) * entries` (`entries` = codebook size + stream bos + stream eos);
/// averaged instead of summed under `audio_embed_avg`, then projected if the config has a projector.
struct AudioCodebookEmbedding {
    let table: Matrix  // [codebooks * entries, hidden]
    let codebooks: Int
    let entries: Int
    let average: Bool
    let projector: Matrix?  // [hidden, hidden]

    /// Embeds the frame `codes[offset ..< offset + codebooks]` into `row`; `scratch` holds one row.
    func embed(_ codes: [Int], at offset: Int, into row: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let width = table.cols
        table.copyRows(codes[offset]..<codes[offset] + 1, into: row)
        for k in 1..<max(codebooks, 1) {
            let r = codes[offset + k] + k * entries
            table.copyRows(r..<r + 1, into: scratch)
            Vector.add(scratch, into: row, count: width)
        }
        if average {
            let n = Float(codebooks)
            for i in 0..<width { row[i] /= n }
        }
        if let projector {
            Linear.apply(projector, input: row, count: 1, output: scratch)
            row.update(from: scratch, count: width)
        }
    }
}
