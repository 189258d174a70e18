import Foundation
import ModelHub
import Testing

/// SHA-256 against the standard's example digests (FIPS 180-4 examples, the million-`a` message of its test
/// suite), and fed in pieces of every size against one update.
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func knownDigests(message: String, digest: String) {
        #expect(SHA256.hex(message) == digest)
        #expect(SHA256.hex(Array(message.utf8)) == digest)
        #expect(SHA256.hex(Data(message.utf8)) == digest)
    }

    @Test func piecesOfEverySizeHashAsOne() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 13) }
        let whole = SHA256.hex(bytes)
        #expect(whole == "9ca622da925087aab36ad61ae59bf68cffb7e6a71c91803ee2e04bb09832765d")  // Python's hashlib
        for piece in [1, 3, 63, 64, 65, 127, 500] {
            var h = SHA256()
            var at = 0
            while at < bytes.count {
                h.update(bytes[at..<min(at + piece, bytes.count)])
                at += piece
            }
            #expect(h.hexDigest() == whole, "pieces of \(piece)")
        }
        // Texts of every length around the one- and two-block padding (hashed on the stack up to 119 bytes).
        for n in 0...130 {
            let text = String(decoding: bytes[0..<n].map { $0 & 0x7F }, as: UTF8.self)
            var h = SHA256()
            h.update(Array(text.utf8).lazy.map { $0 })
            #expect(SHA256.hex(text) == h.hexDigest(), "\(n) bytes")
        }
        // A sequence without contiguous storage.
        var lazy = SHA256()
        lazy.update(bytes.lazy.map { $0 })
        #expect(lazy.hexDigest() == whole)
    }
}
