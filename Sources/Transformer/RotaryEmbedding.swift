import Foundation

/// Rotary position embedding over each attention head, with Llama 3's frequency scaling when configured.
///
/// A head of width `d` is rotated pairwise: element `i` pairs with `i + d/2` ("rotate half"), by the angle
/// `position * inverseFrequencies[i]`. The frequencies are computed in Float32 in the reference's order of
/// operations, since they multiply positions in the thousands.
public struct RotaryEmbedding: Sendable {
    /// `headDim / 2` inverse frequencies (radians per position).
    public let inverseFrequencies: [Float]

    public init(_ text: TextConfiguration) {
        let dim = text.headDim
        let base = text.ropeTheta
        var frequencies = (0..<dim / 2).map { i -> Float in
            1 / Foundation.pow(base, Float(2 * i) / Float(dim))
        }
        if let scaling = text.ropeScaling, scaling.ropeType == "llama3" {
            frequencies = frequencies.map { Self.llama3($0, scaling) }
        }
        inverseFrequencies = frequencies
    }

    /// Llama 3 scaling: wavelengths longer than `original / lowFreqFactor` are slowed down by `factor`,
    /// those shorter than `original / highFreqFactor` are kept, and the ones between are blended.
    static func llama3(_ frequency: Float, _ s: TextConfiguration.RopeScaling) -> Float {
        let original = Float(s.originalMaxPositionEmbeddings)
        let lowFrequencyWavelength = original / s.lowFreqFactor
        let highFrequencyWavelength = original / s.highFreqFactor
        let wavelength = (1 / frequency) * Float(2 * Double.pi)
        let scaled = wavelength > lowFrequencyWavelength ? frequency / s.factor : frequency
        let isMedium = !(wavelength < highFrequencyWavelength) && !(wavelength > lowFrequencyWavelength)
        guard isMedium else { return scaled }
        let smooth = ((1 / wavelength) * original - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor)
        return (1 - smooth) * scaled / s.factor + smooth * scaled
    }

    var half: Int { inverseFrequencies.count }

    /// Writes `cos` and `sin` of the angles at `position` (`half` values each).
    func angles(position: Int, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let p = Float(position)
        for i in 0..<half {
            let angle = inverseFrequencies[i] * p
            cos[i] = Foundation.cos(angle)
            sin[i] = Foundation.sin(angle)
        }
    }

    /// Rotates `heads` consecutive heads of one row in place.
    func rotate(_ row: UnsafeMutablePointer<Float>, heads: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let h = half
        for head in 0..<heads {
            let x = row + head * 2 * h
            for i in 0..<h {
                let a = x[i], b = x[i + h]
                x[i] = a * cos[i] + (-b) * sin[i]
                x[i + h] = b * cos[i] + a * sin[i]
            }
        }
    }
}
