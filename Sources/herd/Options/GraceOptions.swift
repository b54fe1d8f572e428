import ArgumentParser

/// `--grace DURATION`: how long in-flight work may finish before the rest is cancelled or moved
/// (the coordinator's shutdown, `herd drain`). 10 s when not given.
struct GraceOptions: ParsableArguments {
    static let defaultGrace: Duration = .seconds(10)

    @Option(
        name: .long,
        help: "How long in-flight subtasks may finish before the rest is cancelled or moved (default 10s)."
    )
    var grace: DurationArgument?

    /// `--grace`, else 10 s.
    var duration: Duration { self.grace?.duration ?? Self.defaultGrace }
}
