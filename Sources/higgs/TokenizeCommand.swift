import ArgumentParser
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array."
    )

    @Option(help: "The model folder holding tokenizer.json.")
    var model: String

    @Option(help: "The text to tokenize.")
    var text: String?

    @Option(help: "A file whose text to tokenize.")
    var file: String?

    @Flag(help: "Prepend <|begin_of_text|>.")
    var bos = false

    func run() throws {
        throw ValidationError("the tokenizer is not built yet")
    }
}
