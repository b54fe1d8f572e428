/// A table while the reader is still building it.
///
/// A class, unlike ``TOMLTable``, so that the reader can keep a reference to the table that
/// `key = value` lines currently go to while headers keep growing the tree around it. It never
/// leaves the reader: ``build()`` turns the tree into values.
final class TOMLTableNode {
    /// What a key of a table under construction holds.
    enum Slot {
        case value(TOMLValue, line: Int)
        case table(TOMLTableNode)
        case tableArray([TOMLTableNode])
    }

    /// How messages name the table: `[coordinator]`, `[[group]]` or `the top level`.
    let name: String
    /// The line of the header that opened the table, or of the first header that implied it.
    var line: Int?
    /// Whether a header named this table itself (`[a]`), rather than only implied it (`[a.b]`).
    var isDefined: Bool
    private(set) var keys: [String] = []
    private var slots: [String: Slot] = [:]

    init(name: String, line: Int?, isDefined: Bool) {
        self.name = name
        self.line = line
        self.isDefined = isDefined
    }

    /// The slot of `key`, if the table has that key.
    subscript(key: String) -> Slot? {
        self.slots[key]
    }

    /// Sets `key`, keeping the order in which keys were first set.
    func set(_ key: String, _ slot: Slot) {
        if self.slots.updateValue(slot, forKey: key) == nil {
            self.keys.append(key)
        }
    }

    /// The table and everything under it, as values.
    func build() -> TOMLTable {
        var table = TOMLTable(line: self.line)
        for key in self.keys {
            switch self.slots[key]! {
            case .value(let value, let line):
                table.entries.append(.init(key: key, value: value, line: line))
            case .table(let node):
                table.entries.append(.init(key: key, value: .table(node.build()), line: node.line ?? 0))
            case .tableArray(let nodes):
                table.entries.append(
                    .init(key: key, value: .tableArray(nodes.map { $0.build() }), line: nodes.first?.line ?? 0)
                )
            }
        }
        return table
    }
}

extension TOMLTableNode.Slot {
    /// The line that defined the slot: the key's, or the (first) header's.
    var line: Int {
        switch self {
        case .value(_, let line): line
        case .table(let node): node.line ?? 0
        case .tableArray(let nodes): nodes.first?.line ?? 0
        }
    }
}
