import Foundation
import Generation
import Testing

@Suite struct CodesFileTests {
    @Test func chunksRoundTripAndCodesAreTheirConcatenation() throws {
        let first = CodesFile.Chunk(text: "[SPEAKER0] \"Hi\"\n", promptIDs: [128000, 9], codes: try AudioCodes(rows: [[1, 2], [3, 4]]))
        let second = CodesFile.Chunk(text: "tab\there", promptIDs: [7], codes: try AudioCodes(rows: [[5], [6]]))
        let data = CodesFile.encode([first, second])
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["frame_rate"] as? Int == 25)
        #expect(json["num_codebooks"] as? Int == 2)
        #expect(json["codes"] as? [[Int]] == [[1, 2, 5], [3, 4, 6]])
        let chunks = try CodesFile.decode(data, file: "x")
        #expect(chunks == [first, second])
        #expect(CodesFile.codes(of: chunks).rows == [[1, 2, 5], [3, 4, 6]])
    }

    @Test func aClipAloneIsOneChunk() throws {
        let codes = try AudioCodes(rows: [[1, 2, 3], [4, 5, 6]])
        let chunks = try CodesFile.decode(codes.codesFile(frameRate: 25), file: "x")
        #expect(chunks.count == 1 && chunks[0].codes == codes && chunks[0].text.isEmpty)
    }

    @Test func malformedFilesNameTheFileAndTheProblem() {
        #expect(throws: GenerationError("x: codes must be equal-length rows of integers")) {
            try CodesFile.decode(Data("{\"codes\": [[1], [2, 3]]}".utf8), file: "x")
        }
        #expect(throws: GenerationError("x: codes must be equal-length rows of integers")) {
            try CodesFile.decode(Data("{\"codes\": [[1.5], [2]]}".utf8), file: "x")
        }
        #expect(throws: GenerationError("x: num_codebooks is 8 but codes has 2 rows")) {
            try CodesFile.decode(Data("{\"num_codebooks\": 8, \"codes\": [[1], [2]]}".utf8), file: "x")
        }
        #expect(throws: GenerationError("x: not a codes file (invalid JSON)")) { try CodesFile.decode(Data("{".utf8), file: "x") }
        #expect(throws: GenerationError("/nonexistent/c.json: file not found")) {
            try CodesFile.read(URL(fileURLWithPath: "/nonexistent/c.json"))
        }
    }
}
