import Foundation

/// A flag one thread sets and others read.
public final class SharedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false

    public init() {}

    public var value: Bool {
        get { lock.withLock { set } }
        set { lock.withLock { set = newValue } }
    }
}

/// Waits until `condition` holds, looking every millisecond, or `timeout` seconds pass (the test then
/// finds what it waited for missing).
public func waitUntil(timeout: TimeInterval = 60, _ condition: () -> Bool) {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
}
