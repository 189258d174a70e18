/// A rectangle of the screen.
struct Rect: Equatable {
    var y: Int
    var x: Int
    var height: Int
    var width: Int

    func contains(y py: Int, x px: Int) -> Bool {
        py >= y && py < y + height && px >= x && px < x + width
    }
}

/// Where everything goes: a title row, the panels (cast and scene on the left when there is room or when
/// they have the focus, the script on the right), then the transport bar, the status line and the
/// message/hints line. Works from 80x24 (and degrades to a notice below 60x14).
struct Layout: Equatable {
    static let minimumWidth = 60
    static let minimumHeight = 14

    let height: Int
    let width: Int
    let script: Rect
    let cast: Rect?
    let scene: Rect?
    var titleRow: Int { 0 }
    var transportRow: Int { height - 3 }
    var statusRow: Int { height - 2 }
    var hintsRow: Int { height - 1 }

    var isTooSmall: Bool { width < Layout.minimumWidth || height < Layout.minimumHeight }

    init(height: Int, width: Int, sidePanel: Bool, castRows: Int = 4) {
        self.height = height
        self.width = width
        let mainTop = 1
        let mainHeight = max(1, height - 4)
        guard sidePanel else {
            script = Rect(y: mainTop, x: 0, height: mainHeight, width: width)
            cast = nil
            scene = nil
            return
        }
        let side = width >= 110 ? 38 : min(40, width / 2)
        let castHeight = max(4, min(castRows + 2, mainHeight * 3 / 5))
        cast = Rect(y: mainTop, x: 0, height: castHeight, width: side)
        scene = Rect(y: mainTop + castHeight, x: 0, height: max(1, mainHeight - castHeight), width: side)
        script = Rect(y: mainTop, x: side + 1, height: mainHeight, width: max(1, width - side - 1))
    }
}
