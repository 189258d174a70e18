import Foundation

/// A problem with a checkpoint on disk, always naming the file it was found in.
///
/// `description` is one line, meant to be shown to the user as is.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let problem: String

    public init(file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public init(url: URL, _ problem: String) {
        self.init(file: url.path, problem)
    }

    public var description: String { "\(file): \(problem)" }
}
