import Foundation

/// A problem with a tokenizer file, naming the file; `description` is one line, shown to the user as is.
public struct TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let problem: String

    public init(file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
