/// A configuration text read by Herd's strict TOML-subset reader.
///
/// Herd reads its cluster files with a small reader of its own rather than a TOML library. It
/// accepts this subset of TOML 1.0:
///
/// - comments (`# ...`) and blank lines;
/// - table headers, `[name]` and `[name.sub]`, and array-of-tables headers, `[[name]]`;
/// - `key = value` lines with bare keys (`A-Z a-z 0-9 _ -`);
/// - basic strings `"..."` with the escapes `\"` `\\` `\n` `\t` `\r` `\b` `\f` `\uXXXX` and
///   `\UXXXXXXXX`, and literal strings `'...'`;
/// - integers (`42`, `-7`, `+1_000`, `0xff`, `0o17`, `0b101`), floats (`1.5`, `-2e-3`, `inf`,
///   `nan`) and booleans;
/// - arrays of those, which may span lines, hold comments and end with a trailing comma.
///
/// It rejects, with an error naming the line, everything else TOML allows: inline tables, dotted
/// and quoted keys, dates and times, and multi-line strings. It also rejects what TOML itself
/// forbids: a key or table defined twice, a `[name]` that clashes with a `[[name]]` or a key,
/// a value that is not followed by the end of the line, a bare carriage return, unescaped control
/// characters.
///
/// The reader does no I/O: the caller reads the file and passes its text.
///
/// ## Why a reader of its own
///
/// Decided in issue 15 (config out of the core): keep this reader rather than adopt TOMLKit,
/// which does resolve and build here (its swift-checkit dependency is test-only). The reasons:
///
/// - Its errors are what an operator needs: every one names the line, and the typed layer adds
///   the table and key (`cluster.toml: line 12: group 'tools': capacity must be an integer
///   1...10000, got "eight"`). TOMLKit reports parse errors with a position, but its values carry
///   no source line, so a range or cross-key error could name the key but not its line.
/// - The subset is a feature: inline tables, dotted keys and dates, which a cluster file never
///   needs, are refused with an error naming the line instead of being read and then ignored.
/// - TOMLKit wraps toml++, a C++ library: every cold build (CI, `bench/run --rev`, each engineer's
///   worktree) would compile it, and the package would gain a C++ dependency for about 890
///   lines of Swift that ``ConfigTOMLTests`` and ``ConfigTOMLErrorTests`` cover.
public struct TOMLDocument: Hashable, Sendable {
    /// The document's top-level table: top-level keys first, then each table in file order.
    public var root: TOMLTable

    /// Wraps an already-built root table.
    ///
    /// - Parameter root: The document's top-level table.
    public init(root: TOMLTable) {
        self.root = root
    }

    /// Reads a TOML text.
    ///
    /// - Parameter text: The whole file. A leading byte-order mark is skipped; lines may end in
    ///   `\n` or `\r\n`.
    /// - Throws: ``ConfigError`` with the line and the problem, for the first problem found, such
    ///   as `line 7: inline tables are not supported by Herd's config reader; use a [table] header`.
    public init(parsing text: String) throws(ConfigError) {
        var parser = TOMLParser(text)
        self.root = try parser.parseDocument()
    }
}
