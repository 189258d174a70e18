import Kernels

/// One decoder layer of the Llama backbone with Higgs Audio's DualFFN adapter.
///
/// Text positions always take the Llama path: `x += attn(norm(x)); x += mlp(postNorm(x))`. Audio positions
/// (audio-in and audio-out codes alike) take one of three paths:
/// - `shared`: the same Llama path (`dual_ffn` adapter, layers outside `audio_dual_ffn_layers`);
/// - `separate`: the DualFFN path: their own input norm, the shared attention over every position, then
///   their own post-attention norm and MLP;
/// - `skipped`: fast-forward (`dual_ffn_fast_forward`, layers outside `audio_dual_ffn_layers`): audio
///   positions pass through unchanged, and text positions attend to text positions only. This layer's
///   cache therefore holds the text positions alone.
struct DecoderLayer {
    enum AudioPath { case shared, separate, skipped }

    struct AudioBranch {
        let inputNorm: RMSNorm
        let postAttentionNorm: RMSNorm
        let feedForward: FeedForward
    }

    let attention: Attention
    let inputNorm: RMSNorm
    let postAttentionNorm: RMSNorm
    let feedForward: FeedForward
    let audioPath: AudioPath
    /// Present when `audioPath == .separate`.
    let audio: AudioBranch?

    /// Runs the layer over `rows` positions of the residual stream `x` (`[rows][hidden]`, updated in place).
    /// `ws.isAudio`, `ws.cos` and `ws.sin` describe the rows, `caches` where their keys and values go.
    func forward(_ x: UnsafeMutablePointer<Float>, rows m: Int, rope: RotaryEmbedding, caches: RowCaches, workspace ws: Workspace) {
        let width = ws.hidden
        switch audioPath {
        case .shared:
            llama(x, rows: m, cos: ws.cos.pointer, sin: ws.sin.pointer, rope: rope, caches: caches, workspace: ws)

        case .skipped:
            let text = ws.collect(audio: false, count: m)
            if text == m {
                llama(x, rows: m, cos: ws.cos.pointer, sin: ws.sin.pointer, rope: rope, caches: caches, workspace: ws)
            } else if text > 0 {
                let half = rope.half
                ws.gather(x, into: ws.gathered.pointer, rows: text, width: width)
                ws.gather(ws.cos.pointer, into: ws.gatheredCos.pointer, rows: text, width: half)
                ws.gather(ws.sin.pointer, into: ws.gatheredSin.pointer, rows: text, width: half)
                llama(ws.gathered.pointer, rows: text, cos: ws.gatheredCos.pointer, sin: ws.gatheredSin.pointer,
                      rope: rope, caches: caches.gathered(ws.rowIndex, count: text), workspace: ws)
                ws.scatter(ws.gathered.pointer, into: x, rows: text, width: width)
            }

        case .separate:
            let audio = audio!
            for r in 0..<m {
                let norm = ws.isAudio[r] ? audio.inputNorm : inputNorm
                norm.apply(x + r * width, into: ws.h.pointer + r * width)
            }
            attention(ws.h.pointer, rows: m, cos: ws.cos.pointer, sin: ws.sin.pointer, rope: rope, caches: caches,
                      workspace: ws, into: ws.projected.pointer)
            Vector.add(ws.projected.pointer, into: x, count: m * width)
            residualFeedForward(x, rows: m, audio: false, norm: postAttentionNorm, feedForward: feedForward, workspace: ws)
            residualFeedForward(x, rows: m, audio: true, norm: audio.postAttentionNorm, feedForward: audio.feedForward, workspace: ws)
        }
    }

    /// The plain Llama layer over consecutive rows `r` (`[rows][hidden]`, updated in place).
    private func llama(
        _ r: UnsafeMutablePointer<Float>, rows m: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
        rope: RotaryEmbedding, caches: RowCaches, workspace ws: Workspace
    ) {
        let count = m * ws.hidden
        inputNorm.apply(r, into: ws.h.pointer, rows: m)
        attention(ws.h.pointer, rows: m, cos: cos, sin: sin, rope: rope, caches: caches, workspace: ws, into: ws.projected.pointer)
        Vector.add(ws.projected.pointer, into: r, count: count)
        postAttentionNorm.apply(r, into: ws.h.pointer, rows: m)
        feedForward(ws.h.pointer, rows: m, workspace: ws, into: ws.projected.pointer)
        Vector.add(ws.projected.pointer, into: r, count: count)
    }

    /// `x += mlp(norm(x))` over the rows of one kind (text or audio), gathered into consecutive rows when mixed.
    private func residualFeedForward(
        _ x: UnsafeMutablePointer<Float>, rows m: Int, audio: Bool, norm: RMSNorm, feedForward: FeedForward,
        workspace ws: Workspace
    ) {
        let width = ws.hidden
        let n = ws.collect(audio: audio, count: m)
        if n == 0 { return }
        if n == m {
            norm.apply(x, into: ws.h.pointer, rows: m)
            feedForward(ws.h.pointer, rows: m, workspace: ws, into: ws.projected.pointer)
            Vector.add(ws.projected.pointer, into: x, count: m * width)
        } else {
            ws.gather(x, into: ws.gathered.pointer, rows: n, width: width)
            norm.apply(ws.gathered.pointer, into: ws.h.pointer, rows: n)
            feedForward(ws.h.pointer, rows: n, workspace: ws, into: ws.projected.pointer)
            ws.scatterAdd(ws.projected.pointer, into: x, rows: n, width: width)
        }
    }
}
