/// A problem the studio reports: one line for the user, naming the file or thing concerned.
public struct StudioError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
