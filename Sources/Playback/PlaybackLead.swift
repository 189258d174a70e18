/// How much audio a growing source must have waiting before the player starts or resumes it.
///
/// A line plays while it is generated. When generation runs a little slower than real time (a 4-bit
/// step is about the length of a frame on two cores), playing each piece as it arrives would run dry
/// at every piece: a click every fifth of a second. Holding back a lead turns that into at most one
/// pause, and the lead adapts: it doubles each time the source runs dry, and halves (never below the
/// initial lead) after a source that ended without ever using half of it, so a machine that keeps up
/// gets its audio quickly again.
public struct PlaybackLead: Equatable, Sendable {
    /// Samples asked for at the start, and the least ever asked for.
    public let initial: Int
    /// Samples asked for at most.
    public let maximum: Int
    /// Samples the source must have ahead of the player (or have ended) before playing on.
    public private(set) var required: Int
    /// The fewest samples ahead of the player since the source last started or resumed; nil before.
    private var lowestAhead: Int?
    private var ranDry = false

    public init(initial: Int, maximum: Int) {
        self.initial = max(0, initial)
        self.maximum = max(self.initial, maximum)
        required = self.initial
    }

    /// Seconds of audio at `sampleRate`: 0.4 s to start (two of the streaming decoder's pieces), 6 s at most.
    public init(sampleRate: Int, initialSeconds: Double = 0.4, maximumSeconds: Double = 6) {
        self.init(initial: Int(initialSeconds * Double(sampleRate)), maximum: Int(maximumSeconds * Double(sampleRate)))
    }

    /// Whether a source with `ahead` samples waiting (and `ended` when nothing follows them) may play.
    public func mayPlay(ahead: Int, ended: Bool) -> Bool {
        ended || ahead >= required
    }

    /// A new source starts: what is learned about the machine's speed is kept.
    public mutating func startSource() {
        lowestAhead = nil
        ranDry = false
    }

    /// Samples waiting after a write (in the source and in the device), while the source still grows.
    public mutating func played(ahead: Int) {
        lowestAhead = min(lowestAhead ?? ahead, ahead)
    }

    /// The source had nothing more while it was still growing: ask for twice the lead before resuming.
    public mutating func sourceRanDry() {
        ranDry = true
        required = min(maximum, max(1, required * 2))
        lowestAhead = nil
    }

    /// The source ended and was played out. A growing source that never ran dry and never used half
    /// the lead (the pieces arrive a fifth of a second apart, so some of it is always used) needed less.
    public mutating func sourceEnded() {
        if !ranDry, let lowest = lowestAhead, lowest * 2 >= required {
            required = max(initial, required / 2)
        }
        startSource()
    }
}
