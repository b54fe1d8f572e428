/// Which code runs a subtask of each kind on this worker: the one place kinds are resolved.
///
/// Precedence, most specific first: an operator-declared exec kind, then a Swift handler given in
/// ``WorkerOptions/handlers``, then a built-in (`echo`, `sleep`, ...). The kinds a worker
/// registers with are exactly the kinds this table routes.
struct KindRoutes: Sendable {
    /// How one kind runs.
    enum Route: Sendable {
        /// As a child process (`exec` kinds).
        case exec(ExecCommand)
        /// As an async Swift function in the worker process.
        case handler(SubtaskHandler)
    }

    private let routes: [String: Route]

    init(handlers: [String: SubtaskHandler], execCommands: [ExecCommand]) {
        var routes = BuiltinHandlers.all.merging(handlers) { _, custom in custom }.mapValues(Route.handler)
        // Declared later wins among exec kinds of the same name (as a cluster file's last entry).
        for command in execCommands { routes[command.kind] = .exec(command) }
        self.routes = routes
    }

    /// The route of `kind`, or `nil` when this worker does not run it.
    func route(for kind: String) -> Route? { self.routes[kind] }

    /// Every kind routed, sorted (what the worker registers with).
    var kinds: [String] { self.routes.keys.sorted() }
}
