/// The GPT-2 byte-level alphabet: every byte is written as one printable character in the vocabulary.
///
/// Printable Latin-1 bytes (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) stand for themselves; the other 68 bytes
/// (controls, space, soft hyphen...) take the code points 256, 257, ... in byte order, so a space is `Ġ`.
enum ByteLevel {
    /// The character standing for each byte.
    static let characterOfByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each alphabet character stands for, indexed by code point (below 324); -1 outside the alphabet.
    static let byteOfCharacter: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in characterOfByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The bytes a vocabulary token stands for, or nil if it has a character outside the alphabet.
    static func bytes(of token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteOfCharacter.count, byteOfCharacter[value] >= 0 else { return nil }
            bytes.append(UInt8(byteOfCharacter[value]))
        }
        return bytes
    }
}
