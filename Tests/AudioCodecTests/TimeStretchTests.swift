import AudioIO
import Foundation
import Testing

/// Speech sped up or slowed down keeps its pitch, its level and its smoothness, at exactly the length asked.
@Suite struct TimeStretchTests {
    static let rate = 24_000
    /// 1.2 s of a 180 Hz voice with three harmonics, its level rising and falling four times a second.
    static let voice: [Float] = (0..<28_800).map { i in
        let t = Double(i) / Double(rate)
        let tone = sin(2 * .pi * 180 * t) + 0.5 * sin(2 * .pi * 360 * t + 1) + 0.25 * sin(2 * .pi * 540 * t + 2)
        return Float(0.3 * tone * (0.6 + 0.4 * sin(2 * .pi * 4 * t)))
    }

    /// The period (in samples) with the strongest autocorrelation between 2.5 and 8 ms (below twice the voice's).
    static func period(_ x: ArraySlice<Float>) -> Int {
        let x = Array(x)
        return (60...200).max { a, b in
            func r(_ lag: Int) -> Float { (0..<(x.count - 400)).reduce(0) { $0 + x[$1] * x[$1 + lag] } }
            return r(a) < r(b)
        }!
    }

    static func rms(_ x: [Float]) -> Double { sqrt(x.reduce(0) { $0 + Double($1) * Double($1) } / Double(x.count)) }
    static func steepest(_ x: [Float]) -> Float { zip(x, x.dropFirst()).map { abs($1 - $0) }.max()! }

    @Test func fasterAndSlowerKeepThePitch() {
        #expect(Self.period(Self.voice[9_600..<16_800]) == 133)
        for length in [25_920, 31_680] {  // 11% faster, 10% slower
            let out = TimeStretch.fit(Self.voice, to: length, sampleRate: Self.rate)
            #expect(out.count == length)
            let middle = out[(length / 2 - 3_600)..<(length / 2 + 3_600)]
            #expect(abs(Self.period(middle) - 133) <= 1, "period \(Self.period(middle)) at \(length)")
            #expect(abs(20 * log10(Self.rms(out) / Self.rms(Self.voice))) < 1)
            // Pieces joined where their waveforms agree: no step steeper than the voice's own.
            #expect(Self.steepest(Array(out.dropFirst(240))) <= 1.2 * Self.steepest(Self.voice))
        }
        #expect(TimeStretch.fit(Self.voice, to: Self.voice.count, sampleRate: Self.rate) == Self.voice)
    }
}
