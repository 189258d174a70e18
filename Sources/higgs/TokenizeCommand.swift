import ArgumentParser
import Foundation
import Studio
import TextTokenizer

/// `higgs tokenize`: the ids the Llama 3 tokenizer gives a text, exactly as the reference's
/// `tokenizer.encode(text, add_special_tokens=False)` (added tokens such as `<|eot_id|>` are single ids).
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array."
    )

    @Option(help: "The generation model folder holding tokenizer.json; by default found as the studio finds it (`higgs doctor` shows where).")
    var model: String?

    @Option(help: "The text to tokenize.")
    var text: String?

    @Option(help: "A file whose text (UTF-8) to tokenize.")
    var file: String?

    @Flag(help: "Prepend <|begin_of_text|>.")
    var bos = false

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() throws {
        let input = try text ?? InputFile.text(file!)
        let location = EngineLocation(modelFlag: model, audioTokenizerFlag: nil)
        let folder = try location.modelFolder()
        let tokenizer = try BPETokenizer(modelFolder: folder)
        let ids = tokenizer.encode(input, addBOS: bos)
        print("[" + ids.map(String.init).joined(separator: ",") + "]")
    }

}

/// A one-line error of a command (`Higgs.main` prints it after "higgs: ", without the usage).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
