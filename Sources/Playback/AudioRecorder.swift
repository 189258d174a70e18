import CALSA
import Foundation

/// Records 16-bit mono from an ALSA device (its plug layer converts from what the hardware has), on a
/// thread of its own, from the moment it is made until `stop` or `maximumSeconds`.
public final class AudioRecorder: @unchecked Sendable {
    public struct Status: Equatable, Sendable {
        /// Samples recorded so far.
        public var samples = 0
        /// Peak of the last period, 0...1 (for a level meter).
        public var level: Float = 0
        /// Recording ended by itself: the length limit, or the device failing (`failure`).
        public var ended = false
        public var failure: PlaybackError?
    }

    public let device: String
    public let sampleRate: Int
    private let limit: Int
    private let pcm: OpaquePointer
    private let lock = NSLock()
    private var recorded: [Float] = []
    private var status = Status()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var joined = false

    /// Opens `device` for capture (a missing or busy one fails here, naming it) and starts recording.
    public init(device: String = "default", configuration: URL? = nil, sampleRate: Int = 24_000, maximumSeconds: Double = 60) throws {
        self.device = device
        self.sampleRate = sampleRate
        limit = Int(maximumSeconds * Double(sampleRate))
        pcm = try AudioPlayer.openDevice(device, configuration: configuration, stream: SND_PCM_STREAM_CAPTURE)
        let err = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, UInt32(sampleRate), 1, 100_000)
        guard err >= 0 else {
            snd_pcm_close(pcm)
            throw PlaybackError(device: device, "cannot record 16-bit mono at \(sampleRate) Hz (\(String(cString: snd_strerror(err))))")
        }
        recorded.reserveCapacity(limit)
        let thread = Thread { [self] in record() }
        thread.name = "higgs-recorder"
        thread.start()
    }

    deinit {
        _ = stop()
    }

    public var currentStatus: Status {
        lock.lock()
        defer { lock.unlock() }
        return status
    }

    /// Ends the recording (within one period) and returns every sample recorded, -1...1.
    public func stop() -> [Float] {
        lock.lock()
        stopping = true
        let wait = !joined
        joined = true
        lock.unlock()
        if wait { finished.wait() }
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    private func record() {
        var period: snd_pcm_uframes_t = 0
        var bufferSize: snd_pcm_uframes_t = 0
        snd_pcm_get_params(pcm, &bufferSize, &period)
        var shorts = [Int16](repeating: 0, count: max(64, Int(period)))
        var failure: PlaybackError?
        while true {
            lock.lock()
            let stop = stopping || recorded.count >= limit
            lock.unlock()
            if stop { break }
            var n = shorts.withUnsafeMutableBufferPointer { snd_pcm_readi(pcm, $0.baseAddress!, snd_pcm_uframes_t($0.count)) }
            if n < 0 {
                // An overrun (the thread was late) loses a little audio; recover and go on.
                let err = snd_pcm_recover(pcm, Int32(n), 1)
                if err < 0 {
                    failure = PlaybackError(device: device, "recording failed (\(String(cString: snd_strerror(err))))")
                    break
                }
                n = 0
            }
            let count = Int(n)
            lock.lock()
            let room = min(count, limit - recorded.count)
            var peak: Float = 0
            for i in 0..<room {
                let x = Float(shorts[i]) / 32_768
                recorded.append(x)
                peak = max(peak, abs(x))
            }
            status.samples = recorded.count
            status.level = peak
            lock.unlock()
        }
        snd_pcm_drop(pcm)
        snd_pcm_close(pcm)
        lock.lock()
        if !stopping {
            status.ended = true
            status.failure = failure
        }
        lock.unlock()
        finished.signal()
    }
}
