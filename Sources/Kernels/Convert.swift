import CKernels

/// Element conversions between storage precisions and Float32.
public enum Convert {
    /// bf16 is the top half of an IEEE float: widening is a shift.
    @inline(__always)
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Round-to-nearest-even, as PyTorch does when casting to bf16.
    @inline(__always)
    public static func floatToBF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    public static func bf16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<UInt16>.self)
            let wide = SIMD8<UInt32>(truncatingIfNeeded: raw) &<< 16
            UnsafeMutableRawPointer(destination + i).storeBytes(of: unsafeBitCast(wide, to: SIMD8<Float>.self), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            destination[i] = bf16ToFloat(source[i])
            i += 1
        }
    }

    /// IEEE half widened (exact; F16C where the machine has it).
    public static func f16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        ck_f16_to_f32(source, destination, count)
    }

    /// Float32 to IEEE half, rounded to nearest even (F16C where the machine has it).
    public static func floatToF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, count: Int) {
        ck_f32_to_f16_n(source, destination, count)
    }

    /// Rows of `width` floats to int8 with one scale per row (max |x| / 127, rounded to nearest).
    public static func floatToInt8Rows(_ source: UnsafePointer<Float>, rows: Int, width: Int,
                                       into destination: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) {
        ck_quantize_kv_rows(source, rows, width, destination, scales)
    }

    /// int8 rows with their scales back to floats.
    public static func int8RowsToFloat(_ source: UnsafePointer<Int8>, scales: UnsafePointer<Float>, rows: Int, width: Int,
                                       into destination: UnsafeMutablePointer<Float>) {
        ck_dequantize_kv_rows(source, scales, rows, width, destination)
    }

    /// Each row rounded in place to its own int8 grid (quantized and expanded again).
    public static func roundRowsToInt8(_ rows: UnsafeMutablePointer<Float>, count: Int, width: Int) {
        ck_round_rows_to_int8(rows, count, width)
    }
}
