import Transformer

/// Turns prompt token ids with audio placeholders into the model's input, as the reference's collator
/// (`HiggsAudioSampleCollator` with the CLI's settings) and model merge do.
///
/// Each `<|AUDIO|>` (audio-in: a clip in a user or system message) and `<|AUDIO_OUT|>` (audio-out: a clip
/// in an assistant message, or an earlier generated chunk) token stands for one clip of `audio`, taken in
/// order of appearance. The clip gets a stream-bos frame before it and a stream-eos frame after it, the
/// delay pattern is applied (`T + 2` frames become `T + 2 + C - 1` columns), and the placeholder is
/// replaced by one audio position per column.
public enum AudioPlaceholders {
    public static func expand(tokens: [Int], audio: [AudioCodes], configuration c: Configuration) throws -> ModelInput {
        let numCodebooks = c.audioNumCodebooks
        let placeholders = tokens.filter { $0 == c.audioInTokenId || $0 == c.audioOutTokenId }.count
        guard placeholders == audio.count else {
            throw GenerationError("the prompt has \(placeholders) audio placeholders but \(audio.count) audio clips were given")
        }
        var input = ModelInput(numCodebooks: numCodebooks)
        input.reserveCapacity(tokens.count + audio.reduce(0) { $0 + $1.frameCount + 2 + numCodebooks - 1 })
        var next = 0
        for token in tokens {
            let kind: ModelInput.Kind
            switch token {
            case c.audioInTokenId: kind = .audioIn
            case c.audioOutTokenId: kind = .audioOut
            default:
                input.appendText(token)
                continue
            }
            if kind == .audioIn && !c.encodeAudioInTokens {
                // The reference then leaves the placeholder as a masked, unembedded position.
                throw GenerationError("an <|AUDIO|> clip needs encode_audio_in_tokens (the audio tower is not supported)")
            }
            let stream = try streamColumns(audio[next], clip: next, configuration: c)
            next += 1
            var frame = [Int](repeating: 0, count: numCodebooks)
            for t in 0..<stream.frameCount {
                for k in 0..<numCodebooks { frame[k] = stream[k, t] }
                input.appendAudio(kind, frame: frame)
            }
        }
        return input
    }

    /// A clip as the model reads it: stream bos and eos frames around the codes, then the delay pattern.
    public static func streamColumns(_ clip: AudioCodes, clip index: Int = 0, configuration c: Configuration) throws -> AudioCodes {
        let numCodebooks = c.audioNumCodebooks
        guard clip.numCodebooks >= numCodebooks else {
            throw GenerationError("audio clip \(index) has \(clip.numCodebooks) codebooks, the model needs \(numCodebooks)")
        }
        let entries = c.audioCodebookEntries
        var framed = AudioCodes(numCodebooks: numCodebooks)
        framed.reserveCapacity(frames: clip.frameCount + 2)
        framed.append(frame: Array(repeating: c.audioStreamBOSId, count: numCodebooks))
        for t in 0..<clip.frameCount {
            // Extra codebooks are dropped, as the collator does.
            let frame = (0..<numCodebooks).map { clip[$0, t] }
            if let bad = frame.first(where: { $0 < 0 || $0 >= entries }) {
                throw GenerationError("audio clip \(index) has code \(bad) at frame \(t), outside 0..<\(entries)")
            }
            framed.append(frame: frame)
        }
        framed.append(frame: Array(repeating: c.audioStreamEOSId, count: numCodebooks))
        return c.useDelayPattern ? DelayPattern.apply(framed, fill: c.audioStreamBOSId, pad: c.audioStreamEOSId) : framed
    }
}
