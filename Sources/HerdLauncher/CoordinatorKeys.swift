import HerdConfig
import HerdCore
import HerdRuntime
import HerdZMQ

/// The keys a coordinator runs with: from its cluster file and its flags, checked and read.
public struct CoordinatorKeys: Sendable {
    /// `--secret-key`: overrides the file's `secret-key` (relative to the current directory).
    public var secretKey: String?
    /// `--allow-worker`, `--allow-client`, `--allow-operator`: added to the file's keys.
    public var workers: [String] = []
    public var clients: [String] = []
    public var operators: [String] = []
    /// `--insecure`: no CURVE, whatever the file says.
    public var insecure = false

    public init(
        secretKey: String? = nil,
        workers: [String] = [],
        clients: [String] = [],
        operators: [String] = [],
        insecure: Bool = false
    ) {
        self.secretKey = secretKey
        self.workers = workers
        self.clients = clients
        self.operators = operators
        self.insecure = insecure
    }

    /// The coordinator's security for `spec` (read from a file in `directory`, `nil` for none)
    /// listening on `endpoint`.
    ///
    /// The rules (docs/SECURITY.md): with a secret key, CURVE with the listed keys (at least one);
    /// without one, no CURVE, which is allowed only on a loopback or local endpoint, or with
    /// `--insecure`. Keys listed without a secret key are an error, not silently ignored.
    ///
    /// - Returns: The security, or `nil` to run without CURVE.
    /// - Throws: ``KeyFileError`` saying what is wrong and what to do.
    public func security(
        spec: ClusterSpec,
        directory: String?,
        endpoint: String
    ) throws(KeyFileError)
        -> CoordinatorSecurity?
    {
        if self.insecure { return nil }
        let settings = spec.coordinator
        var keyring = Keyring()
        func grant(
            _ references: [String],
            _ role: PeerRole,
            relativeTo base: String?,
            groups: Set<String>? = nil
        )
            throws(KeyFileError)
        {
            for reference in references {
                keyring.grant(role, to: try KeyFiles.publicKey(reference, relativeTo: base), groups: groups)
            }
        }
        try grant(self.workers, .worker, relativeTo: nil)
        try grant(self.clients, .client, relativeTo: nil)
        try grant(self.operators, .operator, relativeTo: nil)
        try grant(settings.workerKeys, .worker, relativeTo: directory)
        try grant(settings.clientKeys, .client, relativeTo: directory)
        try grant(settings.operatorKeys, .operator, relativeTo: directory)
        for group in spec.groups { try grant(group.workerKeys, .worker, relativeTo: directory, groups: [group.name]) }
        let secretPath =
            self.secretKey
            ?? settings.secretKey.map { path in
                directory.map { path.hasPrefix("/") ? path : $0 + "/" + path } ?? path
            }
        guard let secretPath else {
            if !keyring.isEmpty {
                throw KeyFileError(
                    "peer keys are listed but the coordinator has no secret key: set secret-key or --secret-key"
                        + " (herd keygen makes one)"
                )
            }
            if !CoordinatorSettings.isLocal(endpoint) {
                throw KeyFileError(
                    "refusing to listen on \(endpoint) without CURVE: anyone who can reach it could run programs on"
                        + " the workers and drain them. Give a secret key and peer keys (herd keygen; docs/SECURITY.md),"
                        + " or --insecure on a network you trust"
                )
            }
            return nil
        }
        let pair = try KeyFiles.readPair(secretPath)
        guard !keyring.isEmpty else {
            throw KeyFileError(
                "no peer could connect: list worker-keys, client-keys or operator-keys (or --allow-worker,"
                    + " --allow-client, --allow-operator)"
            )
        }
        return CoordinatorSecurity(keyPair: pair, keyring: keyring)
    }
}
