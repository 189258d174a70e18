import Playback
import Testing

/// The lead a growing source must have before it plays: doubling when it runs dry, relaxing when it was
/// more than needed.
struct PlaybackLeadTests {
    @Test func defaultsInSeconds() {
        let lead = PlaybackLead(sampleRate: 24_000)
        #expect(lead.initial == 9_600)
        #expect(lead.maximum == 144_000)
        #expect(lead.required == 9_600)
    }

    @Test func playsWithTheLeadOrAtTheEnd() {
        let lead = PlaybackLead(initial: 100, maximum: 1_000)
        #expect(!lead.mayPlay(ahead: 99, ended: false))
        #expect(lead.mayPlay(ahead: 100, ended: false))
        #expect(lead.mayPlay(ahead: 0, ended: true))
        #expect(lead.mayPlay(ahead: 5, ended: true))
    }

    @Test func doublesWhenTheSourceRunsDryUpToTheMaximum() {
        var lead = PlaybackLead(initial: 100, maximum: 700)
        var asked: [Int] = []
        for _ in 0..<4 {
            lead.sourceRanDry()
            asked.append(lead.required)
        }
        #expect(asked == [200, 400, 700, 700])
        // A source that ran dry keeps the lead it learned, whatever it had ahead at other times.
        lead.played(ahead: 700)
        lead.sourceEnded()
        #expect(lead.required == 700)
    }

    @Test func halvesAfterASourceThatNeverUsedHalfTheLead() {
        var lead = PlaybackLead(initial: 100, maximum: 1_000)
        lead.sourceRanDry()
        lead.sourceRanDry()
        #expect(lead.required == 400)
        // The next source kept at least half of it waiting all along: halve.
        lead.startSource()
        for ahead in [400, 330, 200, 260] { lead.played(ahead: ahead) }
        lead.sourceEnded()
        #expect(lead.required == 200)
        // One that came below half: keep.
        lead.startSource()
        for ahead in [200, 99, 150] { lead.played(ahead: ahead) }
        lead.sourceEnded()
        #expect(lead.required == 200)
        // A finished source (never seen growing) teaches nothing.
        lead.startSource()
        lead.sourceEnded()
        #expect(lead.required == 200)
        // Never below the initial lead.
        for _ in 0..<3 {
            lead.startSource()
            lead.played(ahead: 10_000)
            lead.sourceEnded()
        }
        #expect(lead.required == 100)
    }
}
