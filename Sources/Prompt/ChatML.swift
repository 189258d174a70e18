import Foundation
import TextTokenizer

/// The token ids of a prompt, with one placeholder token per audio (`<|AUDIO|>` for input audio,
/// `<|AUDIO_OUT|>` for output audio) and, in the same order, what each placeholder stands for.
public struct EncodedPrompt: Equatable, Sendable {
    public var ids: [Int]
    public var audio: [AudioReference]
}

/// Turns a conversation into token ids exactly as the reference's `prepare_chatml_sample` does
/// (each piece encoded on its own), then adds the assistant header that asks for the answer.
public struct ChatMLEncoder: Sendable {
    public let tokenizer: BPETokenizer

    public init(tokenizer: BPETokenizer) {
        self.tokenizer = tokenizer
    }

    /// - forceAudio: end with `<|audio_out_bos|>`, so the model answers with audio straight away (what
    ///   the reference's serve engine does; its CLI lets the model choose).
    public func encode(_ messages: [ChatMessage], forceAudio: Bool = true) -> EncodedPrompt {
        var ids: [Int] = []
        var audio: [AudioReference] = []
        for (i, message) in messages.enumerated() {
            let begin = i == 0 ? "<|begin_of_text|>" : ""
            ids += tokenizer.encode(begin + "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n")
            for part in message.parts {
                switch part {
                case .text(let text):
                    ids += tokenizer.encode(text)
                case .audio(let reference):
                    audio.append(reference)
                    ids += tokenizer.encode(message.role == .assistant ? "<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>"
                                                                        : "<|audio_bos|><|AUDIO|><|audio_eos|>")
                }
            }
            let assistantFollows = message.role == .assistant && i + 1 < messages.count && messages[i + 1].role == .assistant
            ids += tokenizer.encode(assistantFollows ? "<|eom_id|>" : "<|eot_id|>")
        }
        ids += tokenizer.encode("<|start_header_id|>assistant<|end_header_id|>\n\n")
        if forceAudio { ids += tokenizer.encode("<|audio_out_bos|>") }
        return EncodedPrompt(ids: ids, audio: audio)
    }
}
