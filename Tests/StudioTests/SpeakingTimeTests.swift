import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// The runaway stop: how long a line may take to say, from its words, pauses, sounds and script.
@Suite struct SpeakingTimeTests {
    @Test(arguments: [
        // 4 s, then 1 s a word and 0.5 s a pause mark.
        ("[SPEAKER0] Hello there.", 4 + 2 + 0.5),
        ("Hello there", 4 + 2),
        ("", 4),
        // Apostrophes and hyphens keep a word whole; digits are a word each.
        ("[SPEAKER1] Don't re-read it, 1999!", 4 + 3 + 4 + 1),
        // Sounds take 4 s, songs and music 20; an unknown tag is read out (4 s too).
        ("[SPEAKER0] Ha [laugh] ha [cough]", 4 + 2 + 8),
        ("[SPEAKER0] [music start] La la [music end]", 4 + 20 + 2 + 4),
        ("[SPEAKER0] Well [sigh] no", 4 + 2 + 4),
        // Scripts without spaces: 0.6 s a character.
        ("[SPEAKER0] 我最喜欢外婆。", 4 + 6 * 0.6 + 0.5),
        ("こんにちは", 4 + 5 * 0.6),
    ] as [(String, Double)])
    func limits(transcript: String, seconds: Double) {
        #expect(abs(SpeakingTime.limit(forSaying: transcript) - seconds) < 1e-9, "\(transcript)")
    }

    /// At an ordinary pace (0.4 s a word), for estimates (`GenerationPaceTests`); said as one reads an estimate.
    @Test func estimatesOfTheTimeLeft() {
        #expect(abs(SpeakingTime.expected(forSaying: "[SPEAKER0] Hello there, friend.") - (0.5 + 1.2 + 0.4)) < 1e-9)
        #expect(abs(SpeakingTime.expected(forSaying: "[SPEAKER0] Ha [laugh] [music start]") - (0.5 + 0.4 + 1.5 + 8)) < 1e-9)
        #expect(spokenDuration(0.2) == "1 s" && spokenDuration(59.4) == "59 s" && spokenDuration(90) == "2 min")
        #expect(spokenDuration(3599) == "60 min" && spokenDuration(2 * 3600 + 5 * 60) == "2 h 05 min")
    }

    /// In steps: the limit's frames (25 a second, rounded up) and the delay pattern's tail.
    /// Two figures that would read the same in whole seconds are said in tenths (explore pass 9, 13: "about 82 s of
    /// speech, more than max-new-tokens (2048) makes (82 s)").
    @Test func figuresThatWouldReadTheSameAreSaidInTenths() throws {
        func room(_ steps: Int) -> Double { Double(steps - 9) / 25 }
        // A line of some 200 words, and the most steps whose room falls short of it where both read the same in whole
        // seconds (steps come in 25ths of a second: not every length has them).
        let (transcript, seconds, steps) = try #require((150...250).lazy.compactMap { words -> (String, Double, Int)? in
            let transcript = "[SPEAKER0] " + Array(repeating: "word", count: words).joined(separator: " ")
            let seconds = SpeakingTime.expected(forSaying: transcript)
            let steps = (Int(seconds * 25) - 20...Int(seconds * 25) + 9).last { room($0) < seconds
                && String(format: "%.0f", room($0)) == String(format: "%.0f", seconds) }
            return steps.map { (transcript, seconds, $0) }
        }.first)
        let said = try #require(SpeakingTime.beyondMaxNewTokens(transcript, maxNewTokens: steps))
        #expect(said.hasPrefix(String(format: "about %.1f s of speech, more than max-new-tokens (%d) makes (%.1f s)", seconds, steps,
                                      room(steps))), "\(said)")
        #expect(SpeakingTime.beyondMaxNewTokens(transcript, maxNewTokens: Int(seconds * 25) - 200)?.contains(".") == false)
    }

    @Test func stepLimit() {
        #expect(SpeakingTime.stepLimit(forSaying: "[SPEAKER0] Hello there.") == 163 + 9)
        #expect(SpeakingTime.stepLimit(forSaying: "Hello there", codebooks: 4) == 150 + 5)
    }

    /// The planner gives each line its limit while the setting is on, none when off; the take's key is the
    /// same either way (a take that ends by itself does not depend on it).
    @Test func plannedWithTheSetting() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = GenerationSettings()
        func plan() throws -> LinePlan {
            let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], settings: settings,
                                  pronunciations: [Pronunciation(word: "Siobhan", sayAs: "Shiv awn")],
                                  script: ["[Ann] Siobhan, hello."])
            return try #require(DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                                scenes: SceneLibrary(scenes: []), takes: TakeStore(folder: folder),
                                                fingerprints: ClipFingerprints()).plan(line: 0))
        }
        let on = try plan()
        // The limit follows what is said: "Shiv awn" is two words.
        #expect(on.request?.stepLimit == SpeakingTime.stepLimit(forSaying: "[SPEAKER0] Shiv awn, hello."))
        #expect(on.request?.stepLimit == Int((4.0 + 3 + 1) * 25) + 9)
        settings.runawayStop = false
        let off = try plan()
        #expect(off.request?.stepLimit == nil)
        #expect(off.key == on.key)
    }
}
