/// The delay pattern of "Simple and Controllable Music Generation" as Higgs Audio uses it: codebook `k`
/// runs `k` frames behind codebook 0, so the model predicts coarse codebooks before the finer ones of the
/// same frame.
///
/// Applied to `T` frames it gives `T + C - 1` columns (`C` codebooks): codebook `k` holds `fill` in its
/// first `k` columns, its `T` codes, then `pad` in its last `C - 1 - k` columns. With stream bos/eos
/// columns around a clip (as prompts carry them), `fill` is the stream bos code and `pad` the stream eos.
public enum DelayPattern {
    public static func apply(_ codes: AudioCodes, fill: Int, pad: Int) -> AudioCodes {
        let c = codes.numCodebooks, t = codes.frameCount
        var rows: [[Int]] = []
        rows.reserveCapacity(c)
        for k in 0..<c {
            var row = [Int](repeating: fill, count: k)
            row.reserveCapacity(t + c - 1)
            row += codes.rows[k]
            row += [Int](repeating: pad, count: c - 1 - k)
            rows.append(row)
        }
        return try! AudioCodes(rows: rows)
    }

    /// Undoes `apply`: codebook `k` is read from columns `k ..< k + T` of `T + C - 1` columns. Fewer than
    /// `C` columns give no frames.
    public static func revert(_ delayed: AudioCodes) -> AudioCodes {
        let c = delayed.numCodebooks
        let t = max(0, delayed.frameCount - (c - 1))
        var rows: [[Int]] = []
        // (With no frame, no range is taken: codebook k's row may be shorter than k.)
        for k in 0..<c { rows.append(t > 0 ? Array(delayed.rows[k][k..<k + t]) : []) }
        return try! AudioCodes(rows: rows)
    }

    /// What the audio decoder receives from one generated segment, as the reference CLI computes it: the
    /// delay reverted (when the model uses it), codes clipped to `0..<codebookSize` (stray stream bos/eos
    /// codes become `codebookSize - 1`), and the first (bos) and last (eos) frames dropped.
    public static func decoderFrames(of segment: AudioCodes, codebookSize: Int, delayed: Bool = true) -> AudioCodes {
        let plain = delayed ? revert(segment) : segment
        let n = plain.frameCount
        guard n > 2 else { return AudioCodes(numCodebooks: segment.numCodebooks) }
        let rows = plain.rows.map { row in row[1..<n - 1].map { min(max($0, 0), codebookSize - 1) } }
        return try! AudioCodes(rows: rows)
    }
}
