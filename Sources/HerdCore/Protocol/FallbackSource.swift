/// How a subtask whose group's breaker was open got its result instead (``JobResult/fallback``).
///
/// On the wire it is one name field: the fallback group's name, `(cache)` for a last good
/// result, `(static)` for the group's static value, empty for none. Group names cannot hold
/// parentheses (docs/PROTOCOL.md), so the three never collide.
public enum FallbackSource: Hashable, Sendable, CustomStringConvertible {
    /// An attempt ran in this fallback group.
    case group(String)
    /// The group's last good result for the same kind and payload (`fallback-cache`).
    case lastGood
    /// The group's configured static value (`fallback-value`).
    case staticValue

    /// The wire spelling of ``lastGood``.
    public static let lastGoodName = "(cache)"
    /// The wire spelling of ``staticValue``.
    public static let staticValueName = "(static)"

    /// Reads the wire name field (`nil` for the empty name: no fallback served the result).
    public init?(wireName: String) {
        switch wireName {
        case "": return nil
        case Self.lastGoodName: self = .lastGood
        case Self.staticValueName: self = .staticValue
        default: self = .group(wireName)
        }
    }

    /// The wire name field.
    public var wireName: String {
        switch self {
        case .group(let name): name
        case .lastGood: Self.lastGoodName
        case .staticValue: Self.staticValueName
        }
    }

    public var description: String { self.wireName }
}
