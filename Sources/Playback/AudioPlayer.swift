import CALSA
import Foundation

/// Audio the player reads from: it may still be growing (a line being generated) and says when it ends.
public protocol PlaybackSource: AnyObject, Sendable {
    /// Copies up to `buffer.count` samples starting at `offset`; returns how many were copied and whether
    /// the source ends right after them.
    func read(from offset: Int, into buffer: UnsafeMutableBufferPointer<Float>) -> (count: Int, ended: Bool)

    /// Samples there are from `offset` on, and whether the source has ended (nothing will follow them).
    func available(from offset: Int) -> (count: Int, ended: Bool)

    /// Whether a growing source played from `offset` now would reach its end without running dry, when it
    /// knows about how long it will be and how fast it grows; nil when it cannot tell (the player's own
    /// `PlaybackLead` decides then).
    func playsThrough(from offset: Int) -> Bool?
}

extension PlaybackSource {
    public func playsThrough(from offset: Int) -> Bool? { nil }
}

/// A problem with the audio device. `description` is one line naming the device.
public struct PlaybackError: Error, Equatable, CustomStringConvertible, Sendable {
    public let device: String
    public let problem: String

    public init(device: String, _ problem: String) {
        self.device = device
        self.problem = problem
    }

    public var description: String { "audio device '\(device)': \(problem)" }
}

/// Float samples to 16-bit PCM exactly as `AudioIO.WAVFile` writes them (clamped to [-1, 1], scaled by
/// 32767, rounded to nearest), so what is played equals what is exported.
public enum PCM16 {
    @inline(__always)
    public static func sample(_ x: Float) -> Int16 {
        let clamped = x.isNaN ? 0 : min(max(x, -1), 1)
        return Int16((clamped * 32767).rounded())
    }
}

/// A streaming player on an ALSA device: 24 kHz mono, 16-bit. It runs on its own thread, follows a
/// source that may still be growing, holding back a lead (`PlaybackLead`) before it starts or resumes
/// one, waits (and recovers from the underrun) when the source is behind, and reports the position
/// heard and a level for the transport bar. A device that is missing or busy
/// gives a `PlaybackError`; nothing else in the studio depends on the device.
public final class AudioPlayer: @unchecked Sendable {
    public enum State: Equatable, Sendable {
        case idle
        case playing
        /// Playing, but waiting for a source that is still growing (a line being generated) to have the lead.
        case waiting
        case paused
        /// The source ended and everything was played.
        case finished
        case failed(String)
    }

    public struct Status: Equatable, Sendable {
        public var state: State = .idle
        /// Samples of the source heard so far (written minus what the device still holds).
        public var position: Int = 0
        /// Peak of the samples most recently handed to the device, 0...1.
        public var level: Float = 0
        /// Underruns recovered since the player was made.
        public var underruns: Int = 0
        /// Samples a growing source must have waiting before it plays on (see `PlaybackLead`).
        public var lead: Int = 0
    }

    public let device: String
    /// An ALSA configuration file read over the system's for this player (asoundrc syntax), if any.
    public let configuration: URL?
    public let sampleRate: Int
    private let latency: UInt32
    private let condition = NSCondition()
    private var status = Status()
    private var source: PlaybackSource?
    /// Next sample of the source to hand to the device.
    private var offset = 0
    private var command: Command?
    /// True while the player thread carries out a command it has taken: `waitUntilDone` must not read the
    /// state before the command has had its effect (a stop after a failure still read `failed`).
    private var handling = false
    private var pcm: OpaquePointer?
    private var periodFrames = 1200
    /// The rate the open device plays at.
    private var openRate = 0
    private var thread: Thread?
    /// Player thread only: the lead asked of growing sources, and whether playback waits for it now.
    private var lead: PlaybackLead
    private var buffering = true

    private enum Command {
        case play(PlaybackSource, Int, Int)
        case pause, resume, stop
    }

    /// - Parameters:
    ///   - device: an ALSA PCM name (`default`, `hw:0`, `plughw:1,0`, `file:FILE=out.raw,FORMAT=raw`, ...).
    ///   - configuration: an ALSA configuration file (asoundrc syntax) that may define `device`.
    ///   - latency: the device buffer, in seconds (what stop and pause may cut off).
    ///   - lead: what a growing source must have waiting before it plays; by default 0.4 s, adapting.
    public init(device: String = "default", configuration: URL? = nil, sampleRate: Int = 24_000, latency: Double = 0.1,
                lead: PlaybackLead? = nil) {
        self.device = device
        self.configuration = configuration
        self.sampleRate = sampleRate
        self.latency = UInt32(latency * 1_000_000)
        self.lead = lead ?? PlaybackLead(sampleRate: sampleRate)
        status.lead = self.lead.required
    }

    deinit {
        if let pcm { snd_pcm_close(pcm) }
    }

    /// Opens and closes the device once: nil when it can play, else the problem.
    public static func probe(device: String, configuration: URL? = nil, sampleRate: Int = 24_000) -> PlaybackError? {
        do {
            let pcm = try open(device: device, configuration: configuration, sampleRate: sampleRate, latency: 100_000).pcm
            snd_pcm_close(pcm)
            return nil
        } catch let error as PlaybackError {
            return error
        } catch {
            return PlaybackError(device: device, "\(error)")
        }
    }

    /// Plays `source` from sample `offset`, replacing whatever was playing. `sampleRate` defaults to the
    /// player's (a reference clip may have another; the device is reopened at that rate).
    public func play(_ source: PlaybackSource, from offset: Int = 0, sampleRate rate: Int? = nil) {
        send(.play(source, offset, rate ?? sampleRate))
    }
    public func pause() { send(.pause) }
    public func resume() { send(.resume) }
    public func stop() { send(.stop) }

    /// Pauses when playing, resumes when paused.
    public func togglePause() {
        switch currentStatus.state {
        case .playing, .waiting: pause()
        case .paused: resume()
        default: break
        }
    }

    public var currentStatus: Status {
        condition.lock()
        defer { condition.unlock() }
        return status
    }

    /// The source now playing (or paused).
    public var currentSource: PlaybackSource? {
        condition.lock()
        defer { condition.unlock() }
        return source
    }

    /// Blocks until the player is finished, idle or failed, or `timeout` passes; returns the last status.
    @discardableResult
    public func waitUntilDone(timeout: TimeInterval) -> Status {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while command != nil || handling || [.playing, .waiting].contains(status.state) {
            if !condition.wait(until: deadline) { break }
        }
        return status
    }

    private func send(_ c: Command) {
        condition.lock()
        command = c
        if thread == nil {
            let t = Thread { [weak self] in self?.run() }
            t.name = "playback"
            thread = t
            t.start()
        }
        condition.broadcast()
        condition.unlock()
    }

    // MARK: The player thread

    private func run() {
        var floats = [Float](repeating: 0, count: 4800)
        var shorts = [Int16](repeating: 0, count: 4800)
        while true {
            condition.lock()
            while command == nil && ![.playing, .waiting].contains(status.state) { condition.wait() }
            let c = command
            command = nil
            handling = c != nil
            condition.unlock()
            if let c {
                handle(c)
                condition.lock()
                handling = false
                condition.broadcast()
                condition.unlock()
            }

            condition.lock()
            let playing = [.playing, .waiting].contains(status.state)
            let src = source
            let from = offset
            condition.unlock()
            guard playing, let src, let pcm else { continue }
            if buffering {
                let (ahead, ended) = src.available(from: from)
                // A source slower than real time that can tell when it would play through waits for that, once,
                // rather than stopping mid-line as the lead learns; never for less than the lead's start.
                let through = src.playsThrough(from: from).map { $0 && ahead >= lead.initial }
                guard ended || (through ?? lead.mayPlay(ahead: ahead, ended: ended)) else {
                    waitForSource()
                    continue
                }
                buffering = false
            }

            let count = min(periodFrames, floats.count)
            let (n, ended) = floats.withUnsafeMutableBufferPointer { src.read(from: from, into: UnsafeMutableBufferPointer(rebasing: $0[0..<count])) }
            if n == 0 {
                if ended {
                    snd_pcm_drain(pcm)
                    lead.sourceEnded()
                    close(finalState: .finished)
                } else {
                    lead.sourceRanDry()
                    buffering = true
                    waitForSource()
                }
                continue
            }
            var peak: Float = 0
            for i in 0..<n {
                shorts[i] = PCM16.sample(floats[i])
                peak = max(peak, abs(floats[i]))
            }
            if let problem = write(pcm, shorts, n) {
                close(finalState: .failed(problem))
                continue
            }
            var delay: snd_pcm_sframes_t = 0
            if snd_pcm_delay(pcm, &delay) < 0 { delay = 0 }
            let after = src.available(from: from + n)
            if !after.ended { lead.played(ahead: after.count + max(0, Int(delay))) }
            condition.lock()
            if source === src && offset == from {
                offset = from + n
                status.state = .playing
                status.level = min(1, peak)
                status.position = max(0, offset - Int(delay))
            }
            condition.unlock()
        }
    }

    /// Writes `n` frames, recovering from underruns and suspends; nil when done, else the problem.
    private func write(_ pcm: OpaquePointer, _ shorts: [Int16], _ n: Int) -> String? {
        var done = 0
        while done < n {
            let r = shorts.withUnsafeBufferPointer { snd_pcm_writei(pcm, $0.baseAddress! + done, snd_pcm_uframes_t(n - done)) }
            if r >= 0 {
                done += Int(r)
                continue
            }
            if r == -snd_pcm_sframes_t(EPIPE) {
                condition.lock()
                status.underruns += 1
                condition.unlock()
            }
            let recovered = snd_pcm_recover(pcm, Int32(r), 1)
            if recovered < 0 { return "write failed (\(String(cString: snd_strerror(recovered))))" }
        }
        return nil
    }

    private func handle(_ c: Command) {
        switch c {
        case .play(let src, let from, let rate):
            if let open = pcm, openRate != rate {
                snd_pcm_drop(open)
                snd_pcm_close(open)
                pcm = nil
            }
            if let pcm {
                snd_pcm_drop(pcm)
                snd_pcm_prepare(pcm)
            } else {
                do {
                    let opened = try AudioPlayer.open(device: device, configuration: configuration, sampleRate: rate, latency: latency)
                    pcm = opened.pcm
                    openRate = rate
                    periodFrames = max(64, opened.period)
                } catch {
                    condition.lock()
                    source = nil
                    status.state = .failed("\(error)")
                    status.level = 0
                    condition.broadcast()
                    condition.unlock()
                    return
                }
            }
            lead.startSource()
            buffering = true
            condition.lock()
            source = src
            offset = max(0, from)
            status.position = offset
            status.state = .playing
            condition.unlock()
        case .pause:
            condition.lock()
            guard [.playing, .waiting].contains(status.state) else {
                condition.unlock()
                return
            }
            // Resume from what was heard: drop what the device still holds.
            offset = status.position
            status.state = .paused
            status.level = 0
            condition.unlock()
            if let pcm {
                snd_pcm_drop(pcm)
                snd_pcm_prepare(pcm)
            }
        case .resume:
            buffering = true
            condition.lock()
            if status.state == .paused && source != nil { status.state = .playing }
            condition.unlock()
        case .stop:
            if let pcm { snd_pcm_drop(pcm) }
            close(finalState: .idle)
        }
    }

    private func close(finalState: State) {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
        condition.lock()
        if finalState == .finished { status.position = offset }
        status.state = finalState
        status.level = 0
        if finalState == .idle { source = nil }
        condition.broadcast()
        condition.unlock()
    }

    /// Shows the player waiting (with the lead it waits for) and sleeps a little or until a command comes.
    private func waitForSource() {
        condition.lock()
        status.state = .waiting
        status.level = 0
        status.lead = lead.required
        _ = condition.wait(until: Date().addingTimeInterval(0.01))
        condition.unlock()
    }

    /// Opens `device` for 16-bit mono playback at `sampleRate` (resampled by ALSA's plug layer if the
    /// hardware needs it). Opened non-blocking so a busy device fails at once, then switched to blocking writes.
    static func open(device: String, configuration: URL?, sampleRate: Int, latency: UInt32) throws -> (pcm: OpaquePointer, period: Int) {
        let pcm = try openDevice(device, configuration: configuration, stream: SND_PCM_STREAM_PLAYBACK)
        let err = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, UInt32(sampleRate), 1, latency)
        guard err >= 0 else {
            snd_pcm_close(pcm)
            throw PlaybackError(device: device, "cannot play 16-bit mono at \(sampleRate) Hz (\(String(cString: snd_strerror(err))))")
        }
        var buffer: snd_pcm_uframes_t = 0
        var period: snd_pcm_uframes_t = 0
        snd_pcm_get_params(pcm, &buffer, &period)
        return (pcm, Int(period))
    }

    /// Opens `device` for `stream`, non-blocking so that a busy device fails at once, then blocking.
    static func openDevice(_ device: String, configuration: URL?, stream: snd_pcm_stream_t) throws -> OpaquePointer {
        let pcm: OpaquePointer
        if let configuration {
            pcm = try DeviceConfiguration.open(device, adding: configuration, stream: stream, mode: SND_PCM_NONBLOCK)
        } else {
            var handle: OpaquePointer?
            let err = snd_pcm_open(&handle, device, stream, SND_PCM_NONBLOCK)
            guard err >= 0, let opened = handle else { throw openingError(device, err) }
            pcm = opened
        }
        snd_pcm_nonblock(pcm, 0)
        return pcm
    }

    static func openingError(_ device: String, _ err: Int32) -> PlaybackError {
        let hint = err == -EBUSY ? "busy (another program is using it)" : "cannot open (\(String(cString: snd_strerror(err))))"
        return PlaybackError(device: device, hint)
    }
}
