/// Lines asked for together (`A`, or every line from the cursor), by editor id. A change of the project's inputs
/// while they are made (a setting, the cast, a scene, a voice) can put lines the run has made out of date at once.
/// Left as it was, the queue would go on making the lines after them with context about to change, and the next
/// `A` would make both again. So the run is planned anew: the lines to make, in script order.
public struct GenerationRun: Equatable, Sendable {
    public let lines: [Int]

    public init(_ lines: [Int]) { self.lines = lines }

    /// The lines of the run to make now, in script order, when the change from `before` to `after` put a line the
    /// run has already made (no longer queued or running) out of date while others are still to make; nil when
    /// the queue may go on as it is (a line being made watches its own inputs).
    public func replanned(from before: DocumentSnapshot, to after: DocumentSnapshot, isActive: (Int) -> Bool) -> [Int]? {
        guard lines.contains(where: isActive) else { return nil }
        func indices(in snapshot: DocumentSnapshot) -> [Int: Int] {
            Dictionary(snapshot.lineIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let old = indices(in: before), new = indices(in: after)
        let wentOutOfDate = lines.contains { id in
            guard !isActive(id), let i = old[id], let j = new[id] else { return false }
            return before.planner.plan(line: i)?.isCurrent == true && after.planner.plan(line: j)?.isCurrent == false
        }
        guard wentOutOfDate else { return nil }
        let present = lines.compactMap { new[$0] }.sorted()
        return after.planner.linesToMake(present).map { after.lineIDs[$0] }
    }
}
