/// What an authenticated peer may do: the roles of docs/SECURITY.md.
///
/// Roles are granted per CURVE public key by the coordinator's configuration; the ZAP handler
/// tags every connection with them, and the coordinator's machine checks every command against
/// them (``CoordinatorStateMachine``'s access decisions, `+Access`).
public enum PeerRole: String, Hashable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Registers and takes work (optionally only in some groups); submits nested jobs from a
    /// running subtask.
    case worker
    /// Submits jobs, reads status, cancels and reads the results of its own jobs.
    case client
    /// Everything: drain, breaker commands, cancel any job, and what the other roles may do.
    case `operator`

    public var description: String { self.rawValue }

    public static func < (lhs: PeerRole, rhs: PeerRole) -> Bool {
        Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
    }
}

/// An authenticated peer: its long-term public key and what the configuration grants it.
///
/// The coordinator's ZAP handler answers a known key with a ZAP User-Id that is this principal
/// written as text (``userID``); the shell reads it back from each message (``init(userID:)``)
/// and hands it to the machine with the message.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    /// The peer's CURVE public key, Z85 (40 characters): its identity.
    public var key: String
    /// Its roles (at least one).
    public var roles: Set<PeerRole>
    /// The groups a worker key may register in; `nil` for any group.
    public var groups: Set<String>?

    public init(key: String, roles: Set<PeerRole>, groups: Set<String>? = nil) {
        self.key = key
        self.roles = roles
        self.groups = groups
    }

    /// Whether the principal holds `role`, or the operator role (which may do everything).
    public func may(_ role: PeerRole) -> Bool { self.roles.contains(role) || self.roles.contains(.operator) }

    /// The principal as a ZAP User-Id: `KEY ROLE[,ROLE…] [GROUP[,GROUP…]]`.
    public var userID: String {
        var text = "\(self.key) " + self.roles.sorted().map(\.rawValue).joined(separator: ",")
        if let groups { text += " " + groups.sorted().joined(separator: ",") }
        return text
    }

    /// Reads a ZAP User-Id written by ``userID``; `nil` if it is not one.
    public init?(userID: String) {
        let parts = userID.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0].utf8.count == 40 else { return nil }
        var roles: Set<PeerRole> = []
        for name in parts[1].split(separator: ",") {
            guard let role = PeerRole(rawValue: String(name)) else { return nil }
            roles.insert(role)
        }
        guard !roles.isEmpty else { return nil }
        self.key = String(parts[0])
        self.roles = roles
        self.groups = parts.count == 3 ? Set(parts[2].split(separator: ",").map(String.init)) : nil
    }

    /// A short form for logs: the key's first 8 characters and the roles.
    public var description: String {
        "\(self.key.prefix(8))… (" + self.roles.sorted().map(\.rawValue).joined(separator: ",") + ")"
    }
}

/// The public keys a coordinator knows and what each may do: its ZAP handler's table.
///
/// A key listed in several roles holds all of them; a worker key listed for some groups only
/// may register in those, and a worker key listed without groups may register in any.
public struct Keyring: Hashable, Sendable {
    private var principals: [String: Principal] = [:]

    public init() {}

    /// Every known key with what it is granted, sorted by key.
    public var all: [Principal] { self.principals.values.sorted { $0.key < $1.key } }

    /// Whether no key is known.
    public var isEmpty: Bool { self.principals.isEmpty }

    /// Grants `role` to `key`; for a worker, `groups` limits where it may register (`nil`: any).
    public mutating func grant(_ role: PeerRole, to key: String, groups: Set<String>? = nil) {
        var principal = self.principals[key] ?? Principal(key: key, roles: [])
        let firstWorkerGrant = role == .worker && !principal.roles.contains(.worker)
        principal.roles.insert(role)
        if role == .worker {
            if firstWorkerGrant {
                principal.groups = groups
            } else if let groups, let known = principal.groups {
                principal.groups = known.union(groups)
            } else {
                principal.groups = nil
            }
        }
        self.principals[key] = principal
    }

    /// What `key` is granted, or `nil` for an unknown key (the connection is refused).
    public subscript(key: String) -> Principal? { self.principals[key] }
}
