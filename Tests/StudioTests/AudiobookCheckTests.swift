import AudioIO
import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// ACX's requirements, measured on signals whose levels are known; an audiobook export frames its chapters
/// with room tone, levels peaks under -3 dB and writes what the check found.
@Suite struct AudiobookCheckTests {
    static let rate = 24_000

    /// `seconds` of a 997 Hz sine at `amplitude`, with `head` and `tail` seconds of silence around it.
    static func tone(_ amplitude: Float, seconds: Double, head: Double, tail: Double) -> [Float] {
        let n = Int(seconds * Double(rate))
        return [Float](repeating: 0, count: Int(head * Double(rate)))
            + (0..<n).map { amplitude * Float(sin(2 * Double.pi * 997 * Double($0) / Double(rate))) }
            + [Float](repeating: 0, count: Int(tail * Double(rate)))
    }

    @Test func measuresWhatACXMeasures() {
        // 0.2 full scale over 10 s of 12.75 s: RMS 20·log10(0.2/√2·√(10/12.75)) = -18.04 dB, peak -13.98.
        let quiet = AudiobookCheck(Self.tone(0.2, seconds: 10, head: 0.75, tail: 2), sampleRate: Self.rate)
        #expect(abs(quiet.rms - 20 * log10(0.2 / 2.0.squareRoot() * (10 / 12.75).squareRoot())) < 0.01)
        #expect(abs(quiet.peak - 20 * log10(0.2)) < 0.01)
        #expect(abs(quiet.head - 0.75) < 0.001 && abs(quiet.tail - 2) < 0.001)
        #expect(quiet.noiseFloor == -.infinity && abs(quiet.minutes - 12.75 / 60) < 1e-9)
        #expect(quiet.problems.isEmpty, "\(quiet.problems)")
        #expect(quiet.summary.hasPrefix("passes (RMS -18.0 dB, peak -14.0 dB, noise floor silent"))

        // Too loud, no room tone before, too little after, and a hiss at -55 dB in it: each named with ACX's limit.
        var generator = SystemRandomNumberGenerator()
        let loud = Self.tone(0.95, seconds: 3, head: 0, tail: 0) + (0..<19_200).map { _ in Float.random(in: -0.003...0.003, using: &generator) }
        let check = AudiobookCheck(loud, sampleRate: Self.rate)
        #expect(check.problems.count == 5, "\(check.problems)")
        #expect(check.problems.contains { $0.hasPrefix("RMS -4.5 dB") && $0.hasSuffix("(ACX: -23 to -18)") })
        #expect(check.problems.contains { $0.hasPrefix("peak -0.4 dB") })
        #expect(check.problems.contains { $0.hasPrefix("noise floor -55.") })
        #expect(check.problems.contains { $0.hasPrefix("0.00 s of room tone first") })
        #expect(check.problems.contains { $0.hasPrefix("0.80 s of room tone last") })
    }

    /// check.txt says which way the loudness setting goes, and how far: a short chapter, mostly room tone, fails
    /// low at a setting a long one passes at, and is told to raise it, not to try -20 LUFS again.
    @Test func theAdviceSaysWhichWayAndHowFar() {
        // RMS of a sine of amplitude a over 10 s, framed with 0.75 s and 2 s of silence: 20·log10(a/√2·√(10/12.75)).
        func chapter(rms: Double) -> AudiobookCheck {
            let amplitude = pow(10, rms / 20) * 2.0.squareRoot() / (10 / 12.75).squareRoot()
            return AudiobookCheck(Self.tone(Float(amplitude), seconds: 10, head: 0.75, tail: 2), sampleRate: Self.rate)
        }
        let short = chapter(rms: -24.5), long = chapter(rms: -21), loud = chapter(rms: -15.8)
        #expect(abs(short.rms + 24.5) < 0.01 && short.problems.count == 1 && long.problems.isEmpty)

        // Both pass after rising 1.5 to 3 dB; 2.25 dB puts the middle between them at ACX's middle, 2 is the nearest whole dB.
        #expect(AudiobookCheck.advice([short, long], loudness: -20)
            == ["RMS follows the loudness setting: raise it from -20 to -18 LUFS (the RMS rises by about 2.0 dB, to between -22.5 and -19.0 dB)."])
        #expect(AudiobookCheck.advice([loud], loudness: -12)
            == ["RMS follows the loudness setting: lower it from -12 to -17 LUFS (the RMS falls by about 5.0 dB, to -20.8 dB)."])
        // 8.7 dB apart: no one setting passes both.
        let wide = AudiobookCheck.advice([short, loud], loudness: -20)
        #expect(wide.count == 1 && wide[0].hasPrefix("The files' RMS runs from -24.5 to -15.8 dB, wider than ACX's 5 dB"))
        #expect(AudiobookCheck.advice([short], loudness: nil).first?.hasPrefix("RMS follows the loudness setting, off now: set it") == true)
        #expect(AudiobookCheck.advice([short], loudness: -5).first?.hasPrefix("The RMS (-24.5 to -24.5 dB) is out of ACX's range") == true)
        #expect(AudiobookCheck.advice([long], loudness: -20).isEmpty)
    }

    /// An audiobook export: every chapter (the whole script, without chapter notes) is framed with 0.75 s
    /// of room tone before (counting a lead-in pause) and 2 s after, its lines levelled under -3.5 dB, and
    /// `check.txt` says what ACX would find.
    @Test func anAudiobookExportIsFramedLevelledAndChecked() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        var project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] One.", "[Ann] Two.", "# chapter: Sea", "# pause: 0.5", "[Ann] Three."])
        project.settings.audiobook = true
        project.settings.loudness = -5  // loud enough that the ceiling holds the peaks
        let planner = { DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                        scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints()) }
        for line in [0, 1, 4] {
            try planner().keepTake(Self.tone(0.5, seconds: 1, head: 0, tail: 0), line: line)
        }
        let out = folder.appendingPathComponent("book.export")
        var report = try DialogueExport.export(planner(), name: "book", to: out)
        #expect(report.files.contains("check.txt") && report.chapters == 2)
        let opening = try WAVFile.read(out.appendingPathComponent("chapters/00 Opening.wav")).samples
        let sea = try WAVFile.read(out.appendingPathComponent("chapters/01 Sea.wav")).samples
        let gap = planner().gapSamples
        #expect(opening.count == 18_000 + 2 * 24_000 + gap + 48_000)
        #expect(opening.prefix(18_000).allSatisfy { $0 == 0 } && opening.suffix(48_000).allSatisfy { $0 == 0 })
        // The half-second pause is part of the 0.75 s lead-in.
        #expect(sea.count == 18_000 + 24_000 + 48_000 && sea.prefix(18_000).allSatisfy { $0 == 0 })
        let peak = Double(sea.map(abs).max()!)
        #expect(abs(20 * log10(peak) - 20 * log10(Double(AudiobookCheck.ceiling))) < 0.01)
        let text = try String(contentsOf: out.appendingPathComponent("check.txt"), encoding: .utf8)
        #expect(text.contains("chapters/00 Opening.wav: ") && text.contains("chapters/01 Sea.wav: "))
        #expect(text.contains("set mp3 to 192"))
        #expect(text.contains("Every file's room tone is digital silence (zeros)"))
        // Far too loud at the setting's loudest: the advice is to lower it.
        #expect(text.contains("RMS follows the loudness setting: lower it from -5 to "), "\(text)")
        #expect(report.audiobookFailures == ["chapters/00 Opening.wav", "chapters/01 Sea.wav"])  // far too loud: RMS
        #expect(report.audiobookVerdict == "2 of 2 chapter files fail the ACX check (check.txt says why)")

        // Without chapter notes, the whole book is one chapter named after it.
        project.script = ["[Ann] One.", "[Ann] Two."]
        report = try DialogueExport.export(planner(), name: "book", to: folder.appendingPathComponent("whole.export"))
        #expect(report.files.filter { $0.hasPrefix("chapters/") } == ["chapters/01 book.wav"])
        // One failing of one: said in the singular (explore pass 9, 15: "1 of 1 chapter file fail").
        #expect(report.audiobookVerdict == "1 of 1 chapter file fails the ACX check (check.txt says why)")
        let whole = try String(contentsOf: folder.appendingPathComponent("whole.export/check.txt"), encoding: .utf8)
        #expect(whole.hasPrefix("ACX audio requirements, each chapter file: 1 of 1 file fails.\n"), "\(whole)")
    }
}
