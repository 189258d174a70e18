import CSoxr
import Foundation

/// Sample-rate conversion as the audio tokenizer's reference does it: librosa's default
/// (libsoxr, high quality) to bring any input to 24 kHz, and torchaudio's windowed-sinc
/// resampler from 24 kHz to HuBERT's 16 kHz.
public enum Resampler {
    /// `librosa.resample(x, orig_sr=from, target_sr=to)` with its default `res_type="soxr_hq"`:
    /// libsoxr's HQ recipe (as python-soxr configures it), then the length fixed to
    /// `ceil(count · to / from)` by trimming or zero padding.
    public static func soxr(_ x: [Float], from: Int, to: Int) throws -> [Float] {
        guard from > 0, to > 0 else { throw AudioFileError(file: "resampler", "sample rates must be positive (\(from) -> \(to))") }
        if from == to || x.isEmpty { return x }
        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let resampler = soxr_create(Double(from), Double(to), 1, &error, &io, &quality, nil), error == nil else {
            throw AudioFileError(file: "resampler", "libsoxr cannot convert \(from) Hz to \(to) Hz")
        }
        defer { soxr_delete(resampler) }
        // Fed in pieces as python-soxr feeds it, then flushed.
        let capacity = Int(Double(x.count) * Double(to) / Double(from)) + 1
        var out = [Float](repeating: 0, count: capacity)
        var written = 0
        let piece = max(1000, Int(48000 * Double(from) / Double(to)))
        try x.withUnsafeBufferPointer { input in
            try out.withUnsafeMutableBufferPointer { output in
                var start = 0
                while start < input.count, written < capacity {
                    let n = min(piece, input.count - start)
                    var used = 0, done = 0
                    let e = soxr_process(resampler, input.baseAddress! + start, n, &used,
                                         output.baseAddress! + written, capacity - written, &done)
                    if e != nil { throw AudioFileError(file: "resampler", "libsoxr failed: \(String(cString: e!))") }
                    written += done
                    start += n
                }
                while written < capacity {
                    var done = 0
                    let e = soxr_process(resampler, nil, 0, nil, output.baseAddress! + written, capacity - written, &done)
                    if e != nil { throw AudioFileError(file: "resampler", "libsoxr failed: \(String(cString: e!))") }
                    if done == 0 { break }
                    written += done
                }
            }
        }
        let target = Int((Double(x.count) * Double(to) / Double(from)).rounded(.up))
        out.removeLast(out.count - min(written, out.count))
        if out.count > target { out.removeLast(out.count - target) }
        if out.count < target { out += [Float](repeating: 0, count: target - out.count) }
        return out
    }

    /// `torchaudio.functional.resample(x, from, to)` with its defaults (`sinc_interp_hann`,
    /// `lowpass_filter_width` 6, `rolloff` 0.99), the kernel computed in float32 as torch does.
    public static func sinc(_ x: [Float], from: Int, to: Int, lowpassFilterWidth: Int = 6, rolloff: Double = 0.99) -> [Float] {
        if from == to || x.isEmpty { return x }
        let divisor = gcd(from, to)
        let orig = from / divisor, new = to / divisor
        let (kernel, width) = sincKernel(orig: orig, new: new, lowpassFilterWidth: lowpassFilterWidth, rolloff: rolloff)
        let taps = 2 * width + orig
        // x padded with `width` zeros before and `width + orig` after; output block n, phase j reads
        // padded[n·orig ..< n·orig + taps].
        var padded = [Float](repeating: 0, count: width + x.count + width + orig)
        padded.replaceSubrange(width..<(width + x.count), with: x)
        let blocks = (padded.count - taps) / orig + 1
        let target = Int((Double(new) * Double(x.count) / Double(orig)).rounded(.up))
        var out = [Float](repeating: 0, count: min(blocks * new, target))
        padded.withUnsafeBufferPointer { p in
            for n in 0..<blocks {
                for j in 0..<new {
                    let index = n * new + j
                    guard index < out.count else { return }
                    var sum: Float = 0
                    let base = p.baseAddress! + n * orig
                    for k in 0..<taps { sum += kernel[j * taps + k] * base[k] }
                    out[index] = sum
                }
            }
        }
        return out
    }

    /// The polyphase kernel `[new, 2·width + orig]` and `width`, as torchaudio computes them in float32.
    static func sincKernel(orig: Int, new: Int, lowpassFilterWidth: Int, rolloff: Double) -> ([Float], Int) {
        let baseFrequency = Double(min(orig, new)) * rolloff
        let width = Int((Double(lowpassFilterWidth) * Double(orig) / baseFrequency).rounded(.up))
        let taps = 2 * width + orig
        let base = Float(baseFrequency), lpw = Float(lowpassFilterWidth)
        let scale = Float(baseFrequency / Double(orig))
        var kernel = [Float](repeating: 0, count: new * taps)
        for j in 0..<new {
            for k in 0..<taps {
                var t = Float(-j) / Float(new) + Float(k - width) / Float(orig)
                t *= base
                t = min(max(t, -lpw), lpw)
                let c = cos(t * Float.pi / lpw / 2)
                let window = c * c
                t *= Float.pi
                let sinc: Float = t == 0 ? 1 : sin(t) / t
                kernel[j * taps + k] = sinc * (window * scale)
            }
        }
        return (kernel, width)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
