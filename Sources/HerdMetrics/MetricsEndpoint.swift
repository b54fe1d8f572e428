import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import Synchronization

/// `GET /metrics` in the Prometheus text format, served by SwiftNIO on its own event loop thread.
///
/// The endpoint renders from a ``PrometheusCollectorRegistry`` (thread-safe); it never touches
/// the process's ZeroMQ sockets or state machines, which record into the registry through
/// swift-metrics on their own threads. ``bootstrap()`` makes the registry swift-metrics' backend,
/// once per process.
public final class MetricsEndpoint: Sendable {
    /// The registry every `herd_*` metric of this process lands in.
    public let registry: PrometheusCollectorRegistry
    /// Where it listens (`HOST:PORT`, with the real port when 0 was asked for).
    public let address: String
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    /// Histogram buckets of the duration metrics (seconds).
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Makes a Prometheus registry the process's swift-metrics backend (the first call does;
    /// later calls return the same registry).
    public static func bootstrap() -> PrometheusCollectorRegistry {
        Self.bootstrapped.withLock { registry in
            if let registry { return registry }
            let made = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: made)
            factory.defaultDurationHistogramBuckets = Self.durationBuckets
            MetricsSystem.bootstrap(factory)
            registry = made
            return made
        }
    }

    /// Parses `HOST:PORT` (`[::1]:9464` for IPv6).
    public static func parse(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0 ... 65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// Binds `address` (`HOST:PORT`) and starts serving.
    ///
    /// - Throws: ``MetricsEndpointError`` when the address is malformed or cannot be bound.
    public static func start(_ address: String, registry: PrometheusCollectorRegistry) async throws -> MetricsEndpoint {
        guard let (host, port) = Self.parse(address) else {
            throw MetricsEndpointError(message: "bad metrics address '\(address)': use HOST:PORT, e.g. 127.0.0.1:9464")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            let bound = channel.localAddress?.port ?? port
            let shown = host.contains(":") ? "[\(host)]:\(bound)" : "\(host):\(bound)"
            return MetricsEndpoint(registry: registry, address: shown, channel: channel, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw MetricsEndpointError(message: "cannot serve metrics on \(address): \(error)")
        }
    }

    private init(
        registry: PrometheusCollectorRegistry,
        address: String,
        channel: any Channel,
        group: MultiThreadedEventLoopGroup
    ) {
        self.registry = registry
        self.address = address
        self.channel = channel
        self.group = group
    }

    /// Stops listening and ends the event loop thread.
    public func close() async {
        try? await self.channel.close()
        try? await self.group.shutdownGracefully()
    }
}

/// Why the metrics endpoint could not start.
public struct MetricsEndpointError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}

/// Answers `GET /metrics` (and `/`) with the registry's text; anything else is 404, a method other
/// than GET or HEAD 405.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        var status = HTTPResponseStatus.ok
        var body: [UInt8] = []
        var contentType = "text/plain; version=0.0.4; charset=utf-8"
        if head.method != .GET && head.method != .HEAD {
            status = .methodNotAllowed
            body = Array("use GET /metrics\n".utf8)
        } else if path == "/metrics" {
            self.registry.emit(into: &body)
        } else if path == "/" {
            contentType = "text/plain; charset=utf-8"
            body = Array("herd metrics: GET /metrics\n".utf8)
        } else {
            status = .notFound
            body = Array("not found: GET /metrics\n".utf8)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil
        )
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let promise: EventLoopPromise<Void>? = keepAlive ? nil : context.eventLoop.makePromise()
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: promise)
        if let promise {
            let channel = context.channel
            promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
