import AudioIO
import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// The `trim` setting: the silence a take starts and ends with is cut to a breath, in exports and "play
/// from here", so that the gap between lines is the gap between their words.
@Suite struct TrimTests {
    static let rate = AudioFormat.sampleRate

    /// `before` seconds of room (noise at -80 dBFS), a second of voice, `after` seconds of room.
    static func take(before: Double, after: Double) -> [Float] {
        var seed: UInt32 = 7
        func room(_ seconds: Double) -> [Float] {
            (0..<Int(seconds * Double(rate))).map { _ in
                seed = seed &* 1_664_525 &+ 1_013_904_223
                return Float(Int32(bitPattern: seed)) / Float(Int32.max) * 1e-4
            }
        }
        let voice: [Float] = (0..<rate).map { 0.3 * sinf(Float($0) * 0.07) * (0.6 + 0.4 * sinf(Float($0) * 0.0005)) }
        return room(before) + voice + room(after)
    }

    @Test func theSilenceAroundATakeIsCutToABreath() throws {
        let samples = Self.take(before: 0.6, after: 0.9)
        let frame = Self.rate / 50
        let sound = try #require(TakeTrim.sound(samples))
        #expect(abs(sound.lowerBound - 14_400) <= frame && abs(sound.upperBound - 38_400) <= frame)
        let kept = TakeTrim.kept(sound, of: samples.count)
        #expect(kept == (sound.lowerBound - 1_200)..<(sound.upperBound + 3_600))
        let trimmed = TakeTrim.apply(samples, sound: sound)
        #expect(trimmed.count == kept.count)
        // The middle is the take's; the cut edges fade from and to nothing.
        #expect(Array(trimmed[200..<(trimmed.count - 200)]) == Array(samples[(kept.lowerBound + 200)..<(kept.upperBound - 200)]))
        #expect(trimmed.first == 0 && trimmed.last == 0 && abs(trimmed[60]) < abs(samples[kept.lowerBound + 60]) + 1e-9)

        // A take that sounds to its ends is kept as it is; one that never sounds is kept whole.
        let voice = Self.take(before: 0, after: 0)
        #expect(TakeTrim.apply(voice, sound: TakeTrim.sound(voice)) == voice)
        let hush = [Float](repeating: 1e-5, count: Self.rate)
        #expect(TakeTrim.sound(hush) == nil && TakeTrim.apply(hush, sound: nil) == hush)
        // A recorded span that does not fit the audio is not trusted.
        #expect(TakeTrim.kept(100..<(samples.count + 1), of: samples.count) == 0..<samples.count)
    }

    @Test func exportsLayOutTheTrimmedTakesAndKnowTheirLength() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let takesFolder = folder.appendingPathComponent("t.takes")
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["[Mara] One.", "[Theo] Two."])
        project.settings.gap = 0.25
        func planner(_ project: Project, _ store: TakeStore) -> DialoguePlanner {
            DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                            takes: store, fingerprints: ClipFingerprints())
        }
        let store = TakeStore(folder: takesFolder)
        let raw = [Self.take(before: 0.3, after: 1.2), Self.take(before: 0.8, after: 0.4)]
        for line in 0..<2 {
            try planner(project, store).keepTake(raw[line], line: line)
        }
        let kept = raw.map { TakeTrim.kept(TakeTrim.sound($0), of: $0.count) }
        let gap = 6_000

        // Trimmed: the second line's voice starts 0.05 + 0.25 + 0.15 s after the first's ends.
        let trimmed = planner(project, store)
        let out = folder.appendingPathComponent("t.export")
        _ = try DialogueExport.export(trimmed, name: "t", to: out)
        let whole = try WAVFile.read(out.appendingPathComponent("t.wav")).samples
        #expect(whole.count == kept[0].count + gap + kept[1].count)
        #expect(trimmed.exportLength == whole.count)
        let secondLine = try WAVFile.read(out.appendingPathComponent("lines/002.wav")).samples
        #expect(secondLine.count == kept[1].count)
        let srt = try String(contentsOf: out.appendingPathComponent("t.srt"), encoding: .utf8)
        #expect(srt.contains(Subtitles.timestamp(kept[0].count + gap, ",") + " --> "))
        let stream = try #require(DialogueAudio.stream(trimmed, from: 0, lineIDs: [0, 1]))
        #expect(stream.snapshot.count == whole.count && stream.line(at: kept[0].count + gap) == 1)

        // Off: the takes as generated.
        var untrimmed = project
        untrimmed.settings.trim = false
        _ = try DialogueExport.export(planner(untrimmed, store), name: "t", to: out)
        #expect(try WAVFile.read(out.appendingPathComponent("t.wav")).samples.count == raw[0].count + gap + raw[1].count)
        #expect(planner(untrimmed, store).exportLength == raw[0].count + gap + raw[1].count)

        // Takes recorded before their sound was kept count whole until their audio has been read.
        let lines = takesFolder.appendingPathComponent("lines")
        for file in try FileManager.default.contentsOfDirectory(atPath: lines.path) {
            let url = lines.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text.contains("\"sound\": ["))
            try text.replacingOccurrences(of: #", "sound": \[\d+, \d+\]"#, with: "", options: .regularExpression)
                .write(to: url, atomically: true, encoding: .utf8)
        }
        let old = planner(project, TakeStore(folder: takesFolder))
        #expect(old.takes(line: 0).current?.sound == nil)
        #expect(old.exportLength == raw[0].count + gap + raw[1].count)
        _ = try DialogueExport.export(old, name: "t", to: out)
        #expect(try WAVFile.read(out.appendingPathComponent("t.wav")).samples == whole)
        #expect(old.exportLength == whole.count)
    }
}
