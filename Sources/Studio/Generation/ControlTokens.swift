import Prompt

/// The model's control tokens: Llama 3's special tokens and Higgs Audio's own, all written `<|...|>`, as the
/// published tokenizer lists them (ids 128000-128255). The tokenizer finds them anywhere in a prompt's text, as
/// the reference's does, so one pasted into a script line, a scene or a voice's text acts there (ends the turn,
/// opens audio) instead of being read. The event forms `<SE>` ... `</SE_e>` are not among them: they are what
/// `[laugh]` and the other event tags become, and a script may write them.
public enum ControlTokens {
    static let named: Set<String> = [
        "<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>", "<|start_header_id|>", "<|end_header_id|>",
        "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|audio_bos|>", "<|audio_eos|>", "<|audio_out_bos|>", "<|AUDIO|>",
        "<|AUDIO_OUT|>", "<|recipient|>", "<|scene_desc_start|>", "<|scene_desc_end|>", "<|generation_instruction_start|>",
        "<|generation_instruction_end|>",
    ]

    /// The numbers of Llama 3's `<|reserved_special_token_N|>` the published tokenizer keeps (Higgs Audio took
    /// the places of 3-5 and 7-19 for its own).
    static func isReserved(_ number: Int) -> Bool { [0, 1, 2, 6].contains(number) || (20...247).contains(number) }

    /// `token` is one of the model's control tokens.
    public static func contains(_ token: String) -> Bool {
        if named.contains(token) { return true }
        let prefix = "<|reserved_special_token_", suffix = "|>"
        guard token.hasPrefix(prefix), token.hasSuffix(suffix) else { return false }
        let digits = token.dropFirst(prefix.count).dropLast(suffix.count)
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { return false }
        return String(n) == digits && isReserved(n)
    }

    /// The first control token written in `text`, or nil.
    public static func first(in text: String) -> String? {
        var rest = Substring(text)
        while let open = rest.range(of: "<|") {
            // The shortest `<|...|>` from each `<|`: tokens hold no `|` inside.
            if let close = rest[open.upperBound...].range(of: "|>") {
                let candidate = String(rest[open.lowerBound..<close.upperBound])
                if contains(candidate) { return candidate }
            }
            rest = rest[open.upperBound...]
        }
        return nil
    }

    /// What `token` would do where it is written, for a message.
    static func effect(of token: String) -> String {
        switch token {
        case "<|eot_id|>", "<|eom_id|>": return "it would end the turn there"
        case "<|end_of_text|>": return "it would end the prompt there"
        case "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>": return "it would start a new message there"
        case "<|audio_bos|>", "<|audio_eos|>", "<|audio_out_bos|>", "<|AUDIO|>", "<|AUDIO_OUT|>": return "it would open or close audio there"
        case "<|scene_desc_start|>", "<|scene_desc_end|>": return "it would open or close the scene description there"
        default: return "the model reads it as a command, not as words"
        }
    }

    /// The problem of `what` (the line, a scene file, a voice's transcript) when `text` holds a control token:
    /// one line naming the token and what it would do; nil when it holds none.
    public static func problem(in text: String, _ what: String) -> String? {
        first(in: text).map { "\(what) holds the model's control token \($0): \(effect(of: $0)); remove it" }
    }

    /// The same for a script line's transcript as the engine is given it: normalised as the reference normalises
    /// the script, which makes ASCII of full-width punctuation (`《|eot_id|》` is `<|eot_id|>` by then).
    public static func problem(inTranscript text: String, _ what: String) -> String? {
        guard text.contains("|") else { return nil }  // every token has one; most lines do not, and skip the normalising
        return problem(in: Transcript.normalize(text, finalPunctuation: false), what)
    }
}
