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
        let resampler = try StreamingResampler(from: from, to: to)  // which checks the rates
        if from == to || x.isEmpty { return x }
        var out = try x.withUnsafeBufferPointer { try resampler.process($0) }
        out += try resampler.finish()
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

/// `Resampler.soxr` a block at a time, for audio too long to hold whole: the same libsoxr HQ conversion,
/// each block's output handed back as soon as libsoxr has it, and in all exactly what `Resampler.soxr` gives
/// for the whole input (libsoxr's output does not depend on how its input was split), length included.
public final class StreamingResampler {
    public let from: Int
    public let to: Int
    /// Nil at the same rate: samples pass through.
    private let soxr: soxr_t?
    /// Input taken and output handed back so far; the total output is fixed by the input's length.
    private var consumed = 0
    private var produced = 0
    private var finished = false
    /// libsoxr writes here; copied out after each call.
    private var scratch = [Float](repeating: 0, count: 8192)

    public init(from: Int, to: Int) throws {
        guard from > 0, to > 0 else { throw AudioFileError(file: "resampler", "sample rates must be positive (\(from) -> \(to))") }
        self.from = from
        self.to = to
        if from == to {
            soxr = nil
            return
        }
        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let soxr = soxr_create(Double(from), Double(to), 1, &error, &io, &quality, nil), error == nil else {
            throw AudioFileError(file: "resampler", "libsoxr cannot convert \(from) Hz to \(to) Hz")
        }
        self.soxr = soxr
    }

    deinit {
        if let soxr { soxr_delete(soxr) }
    }

    /// Feeds `input` and returns the output ready so far (libsoxr holds back a filter's length).
    public func process(_ input: UnsafeBufferPointer<Float>) throws -> [Float] {
        guard !finished else { throw AudioFileError(file: "resampler", "input after the end of the stream") }
        consumed += input.count
        guard let soxr else {
            produced += input.count
            return Array(input)
        }
        var out: [Float] = []
        out.reserveCapacity(Int(Double(input.count) * Double(to) / Double(from)) + 1)
        // Fed in pieces as python-soxr feeds it, so libsoxr's own buffers stay small.
        let piece = max(1000, Int(48000 * Double(from) / Double(to)))
        var start = 0
        while start < input.count {
            let n = min(piece, input.count - start)
            var done = try run(soxr, input.baseAddress! + start, n, into: &out)
            // The rest of this piece's output, if more than the scratch buffer held (an empty, non-nil
            // input: a nil one would mean the end of the stream).
            while done == scratch.count { done = try run(soxr, input.baseAddress!, 0, into: &out) }
            start += n
        }
        // Never past the length the input so far makes (libsoxr's delay keeps it well short anyway).
        let limit = Self.length(consumed, from: from, to: to) - produced
        if out.count > limit { out.removeLast(out.count - limit) }
        produced += out.count
        return out
    }

    public func process(_ input: [Float]) throws -> [Float] {
        try input.withUnsafeBufferPointer { try process($0) }
    }

    /// Flushes libsoxr and returns the last of the output, which brings the total to `ceil(count · to / from)`
    /// samples for `count` fed (trimmed, or padded with zeros).
    public func finish() throws -> [Float] {
        guard !finished else { throw AudioFileError(file: "resampler", "the stream is already finished") }
        finished = true
        guard let soxr else { return [] }
        let target = Self.length(consumed, from: from, to: to) - produced
        var out: [Float] = []
        if consumed > 0 {
            while out.count < target, try run(soxr, nil, 0, into: &out) > 0 {}
        }
        if out.count > target { out.removeLast(out.count - target) }
        if out.count < target { out += [Float](repeating: 0, count: target - out.count) }
        produced += out.count
        return out
    }

    /// `ceil(count · to / from)`, computed as `Resampler.soxr` always has.
    static func length(_ count: Int, from: Int, to: Int) -> Int {
        Int((Double(count) * Double(to) / Double(from)).rounded(.up))
    }

    /// One `soxr_process` call (nil input: flush), its output appended to `out`; returns how much came.
    @discardableResult
    private func run(_ soxr: soxr_t, _ input: UnsafePointer<Float>?, _ count: Int, into out: inout [Float]) throws -> Int {
        var done = 0
        let e = scratch.withUnsafeMutableBufferPointer { buffer in
            soxr_process(soxr, input, count, nil, buffer.baseAddress!, buffer.count, &done)
        }
        if let e { throw AudioFileError(file: "resampler", "libsoxr failed: \(String(cString: e))") }
        out.append(contentsOf: scratch[0..<done])
        return done
    }
}
