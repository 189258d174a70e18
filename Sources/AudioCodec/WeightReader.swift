import Checkpoint
import Foundation
import Kernels

/// Reads the tokenizer's tensors as Float32 buffers, folding weight norm as it goes.
struct WeightReader {
    let store: TensorStore
    /// How the convolutions it loads compute.
    var options = AudioTokenizer.Options()

    func has(_ name: String) -> Bool { store.tensorIfPresent(name) != nil }

    func fail(_ problem: String) -> CheckpointError { CheckpointError(file: store.location, problem) }

    func tensor(_ name: String) throws -> StoredTensor {
        let t = try store.tensor(name)
        guard t.dtype.isFloatingPoint else { throw fail("tensor '\(name)' is \(t.dtype.rawValue), a floating-point tensor expected") }
        return t
    }

    /// A tensor's values, optionally checked against `shape`.
    func floats(_ name: String, shape: [Int]? = nil) throws -> FloatBuffer {
        let t = try shape.map { try store.tensor(name, shape: $0) } ?? store.tensor(name)
        guard t.dtype.isFloatingPoint else { throw fail("tensor '\(name)' is \(t.dtype.rawValue), a floating-point tensor expected") }
        let out = FloatBuffer(count: t.elementCount)
        t.copyFloats(into: out.pointer)
        return out
    }

    func optionalFloats(_ name: String, shape: [Int]) throws -> FloatBuffer? {
        has(name) ? try floats(name, shape: shape) : nil
    }

    /// The weight of a (possibly weight-normed) layer at `prefix`, with its shape: `prefix.weight`,
    /// or `weight_g`/`weight_v` (torch.nn.utils.weight_norm), or
    /// `parametrizations.weight.original0`/`original1` (the parametrization API); the norm is
    /// folded in once here: `w = g · v / ‖v‖`, the norm taken over every axis but g's.
    func weight(_ prefix: String) throws -> (values: FloatBuffer, shape: [Int]) {
        if has(prefix + ".weight") {
            let t = try tensor(prefix + ".weight")
            return (try floats(prefix + ".weight"), t.shape)
        }
        let pairs = [(prefix + ".weight_g", prefix + ".weight_v"),
                     (prefix + ".parametrizations.weight.original0", prefix + ".parametrizations.weight.original1")]
        guard let (gName, vName) = pairs.first(where: { has($0.0) && has($0.1) }) else {
            throw fail("missing tensor '\(prefix).weight' (or its weight-norm parts weight_g/weight_v)")
        }
        let gTensor = try tensor(gName), vTensor = try tensor(vName)
        let shape = vTensor.shape
        let g = try floats(gName), v = try floats(vName)
        // The axis weight norm keeps: where g has v's size (and 1 elsewhere); none means the whole tensor.
        var axis: Int? = nil
        if gTensor.shape.count == shape.count {
            for a in 0..<shape.count where gTensor.shape[a] == shape[a] && gTensor.elementCount == shape[a] {
                axis = a
                break
            }
        }
        if axis == nil && gTensor.elementCount != 1 {
            throw fail("weight norm of '\(prefix)': magnitude shape \(gTensor.shape) does not fit direction shape \(shape)")
        }
        let out = FloatBuffer(count: v.count)
        let size = axis.map { shape[$0] } ?? 1
        let inner = axis.map { shape[($0 + 1)...].reduce(1, *) } ?? v.count
        let outer = v.count / max(size * inner, 1)
        // Element (o, s, i) of v viewed as [outer, size, inner]; each s on its own, shared over the pool.
        Signal.rows(size, work: v.count) { s in
            var sum: Double = 0
            for o in 0..<outer {
                let base = (o * size + s) * inner
                for i in 0..<inner { let x = Double(v[base + i]); sum += x * x }
            }
            let scale = Float(Double(g[s]) / sum.squareRoot())
            for o in 0..<outer {
                let base = (o * size + s) * inner
                for i in 0..<inner { out[base + i] = v[base + i] * scale }
            }
        }
        return (out, shape)
    }
}
