import HerdCore
import Testing

@testable import HerdRuntime

/// Which code runs each kind: exec kinds, then Swift handlers, then built-ins.
@Suite struct KindRoutesTests {
    @Test func test_routes_execBeatsHandlerBeatsBuiltin_andKindsAreWhatIsRouted() throws {
        let custom: SubtaskHandler = { _ in Array("custom".utf8) }
        let routes = KindRoutes(
            handlers: ["echo": custom, "llm": custom],
            execCommands: [
                try ExecCommand(parsing: "llm=/bin/true"), try ExecCommand(parsing: "tool=/bin/false"),
                try ExecCommand(parsing: "tool=/bin/true"),
            ]
        )
        guard case .exec(let llm) = routes.route(for: "llm"), case .exec(let tool) = routes.route(for: "tool") else {
            Issue.record("exec kinds must route to their commands")
            return
        }
        #expect(llm.command == "/bin/true")
        #expect(tool.command == "/bin/true", "the last declaration of a kind wins")
        guard case .handler = routes.route(for: "echo"), case .handler = routes.route(for: "sleep") else {
            Issue.record("Swift handlers and built-ins route to handlers")
            return
        }
        #expect(routes.route(for: "nope") == nil)
        #expect(routes.kinds == Set(BuiltinHandlers.all.keys).union(["llm", "tool"]).sorted())
    }
}
