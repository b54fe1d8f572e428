import HerdCore
import Testing

@testable import HerdConfig

/// Every way the TOML-subset reader refuses a text, each with its line and message.
@Suite struct ConfigTOMLErrorTests {
    /// Two harmless lines, so that errors in the cases below land on line 3 or later.
    private static let preamble = "# preamble\r\nok = [\n 1 ]\n"

    private static func expectError(_ body: String, line: Int, _ message: String) {
        #expect(throws: ConfigError(line: line, message: message)) {
            try TOMLDocument(parsing: Self.preamble + body)
        }
    }

    // MARK: - Unsupported TOML

    @Test(arguments: [
        ("a = {x = 1}", "inline tables are not supported by Herd's config reader; use a [table] header"),
        ("a = [1, {x = 1}]", "inline tables are not supported by Herd's config reader; use a [table] header"),
        ("a.b = 1", "dotted keys are not supported by Herd's config reader; use a [table] header"),
        ("a . b = 1", "dotted keys are not supported by Herd's config reader; use a [table] header"),
        (
            "\"a\" = 1",
            "quoted keys are not supported by Herd's config reader; use a bare key (A-Z, a-z, 0-9, '_' and '-')"
        ),
        (
            "['a']",
            "quoted table names are not supported by Herd's config reader; use a bare table name (A-Z, a-z, 0-9, '_' and '-')"
        ),
        (
            "d = 1979-05-27",
            "dates and times are not supported by Herd's config reader; write '1979-05-27' as a string"
        ),
        (
            "d = 1979-05-27T07:32:00Z",
            "dates and times are not supported by Herd's config reader; write '1979-05-27T07:32:00Z' as a string"
        ),
        (
            "t = 07:32:00",
            "dates and times are not supported by Herd's config reader; write '07:32:00' as a string"
        ),
        ("s = \"\"\"x\"\"\"", #"multi-line strings are not supported by Herd's config reader; use "..." with \n"#),
        ("s = '''x'''", #"multi-line strings are not supported by Herd's config reader; use "..." with \n"#),
    ])
    func test_parse_unsupportedTOML_failsNamingTheFeature(body: String, message: String) {
        Self.expectError(body, line: 4, message)
    }

    // MARK: - Strings

    @Test(arguments: [
        ("s = \"abc", "unterminated string; a string must end with '\"' on the line it starts"),
        ("s = \"abc\nx\"", "unterminated string; a string must end with '\"' on the line it starts"),
        ("s = \"abc\\", "unterminated string; a string must end with '\"' on the line it starts"),
        ("s = 'abc", "unterminated string; a literal string must end with \"'\" on the line it starts"),
        (
            #"s = "\x41""#,
            #"invalid escape '\x' in string; use \", \\, \n, \t, \r, \b, \f, \uXXXX or \UXXXXXXXX"#
        ),
        (
            #"s = "\é""#,
            #"invalid escape '\é' in string; use \", \\, \n, \t, \r, \b, \f, \uXXXX or \UXXXXXXXX"#
        ),
        (#"s = "\u12""#, #"invalid escape: \u needs exactly 4 hex digits"#),
        (#"s = "\u12G4""#, #"invalid escape: \u needs exactly 4 hex digits"#),
        (#"s = "\U0001F60""#, #"invalid escape: \U needs exactly 8 hex digits"#),
        (#"s = "\uD800""#, #"invalid escape '\uD800': not a Unicode scalar value"#),
        (#"s = "\U00110000""#, #"invalid escape '\U00110000': not a Unicode scalar value"#),
        ("s = \"a\u{01}b\"", "control character U+0001 must be escaped in a string"),
        ("s = \"a\u{7F}b\"", "control character U+007F must be escaped in a string"),
        ("s = 'a\u{1B}b'", "control character U+001B is not allowed in a literal string"),
    ])
    func test_parse_badString_fails(body: String, message: String) {
        Self.expectError(body, line: 4, message)
    }

    // MARK: - Numbers and bare words

    @Test(arguments: [
        ("v = agents", "expected a value, got 'agents'; strings must be quoted, like \"agents\""),
        ("v = truee", "expected a value, got 'truee'; strings must be quoted, like \"truee\""),
        ("v = True", "expected a value, got 'True'; strings must be quoted, like \"True\""),
        ("v = 250ms", "invalid number '250ms'; text must be quoted, like \"250ms\""),
        ("v = 0123", "invalid number '0123': leading zeros are not allowed"),
        ("v = -01.5", "invalid number '-01.5': leading zeros are not allowed"),
        ("v = 1__000", "invalid number '1__000'"),
        ("v = _1", "expected a value, got '_1'; strings must be quoted, like \"_1\""),
        ("v = 1_", "invalid number '1_'"),
        ("v = 1.", "invalid number '1.'"),
        ("v = .5", "invalid number '.5'"),
        ("v = 1.5.5", "invalid number '1.5.5'"),
        ("v = 1e", "invalid number '1e'"),
        ("v = 1e+", "invalid number '1e+'"),
        ("v = +0x10", "invalid number '+0x10'"),
        ("v = 0xG1", "invalid number '0xG1'"),
        ("v = 0b102", "invalid number '0b102'"),
        ("v = -", "invalid value '-'"),
        ("v = +", "invalid value '+'"),
        (
            "v = 9223372036854775808",
            "the number '9223372036854775808' is out of range (integers are 64-bit, floats must be finite)"
        ),
        (
            "v = -9223372036854775809",
            "the number '-9223372036854775809' is out of range (integers are 64-bit, floats must be finite)"
        ),
        (
            "v = 0x8000000000000000",
            "the number '0x8000000000000000' is out of range (integers are 64-bit, floats must be finite)"
        ),
        ("v = 1e999", "the number '1e999' is out of range (integers are 64-bit, floats must be finite)"),
    ])
    func test_parse_badBareValue_fails(body: String, message: String) {
        Self.expectError(body, line: 4, message)
    }

    // MARK: - Line structure

    @Test(arguments: [
        ("v = ", 4, "expected a value, got end of file"),
        ("v =\nw = 1", 4, "expected a value, got end of line"),
        ("v = # comment", 4, "expected a value, got '#'"),
        ("v = 1 2", 4, "expected the end of the line after the value of 'v', got '2'"),
        ("v = \"a\" \"b\"", 4, "expected the end of the line after the value of 'v', got '\"'"),
        ("v = 1 w = 2", 4, "expected the end of the line after the value of 'v', got 'w'"),
        ("v = 1\r2", 4, "a carriage return must be followed by a line feed"),
        ("v", 4, "expected '=' after key 'v', got end of file"),
        ("v\nw = 1", 4, "expected '=' after key 'v', got end of line"),
        ("v # x", 4, "expected '=' after key 'v', got '#'"),
        ("v w = 1", 4, "expected '=' after key 'v', got 'w'"),
        ("v: 1", 4, "invalid character ':' in key 'v'; bare keys use only A-Z, a-z, 0-9, '_' and '-'"),
        ("aé = 1", 4, "invalid character 'é' in key 'a'; bare keys use only A-Z, a-z, 0-9, '_' and '-'"),
        ("é = 1", 4, "expected a key, got 'é'"),
        ("= 1", 4, "expected a key, got '='"),
        ("]", 4, "expected a key, got ']'"),
        ("\u{01}", 4, "expected a key, got control character U+0001"),
        ("# bell \u{07}", 4, "control character U+0007 is not allowed in a comment"),
        ("# cr \r", 4, "a carriage return must be followed by a line feed"),
        ("v = 1 # cr \rx", 4, "a carriage return must be followed by a line feed"),
    ])
    func test_parse_badLine_fails(body: String, line: Int, message: String) {
        Self.expectError(body, line: line, message)
    }

    // MARK: - Arrays

    @Test(arguments: [
        ("a = [1 2]", 4, "expected ',' or ']' in the array, got '2'"),
        ("a = [1,,2]", 4, "expected a value, got ','"),
        ("a = [,]", 4, "expected a value, got ','"),
        ("a = [\n  1,\n  2\n\n", 4, "unterminated array: expected ']' to close the array opened here"),
        ("a = [\n  1,\n  2,", 4, "unterminated array: expected ']' to close the array opened here"),
        ("a = [\n  1,\n  x,\n]", 6, "expected a value, got 'x'; strings must be quoted, like \"x\""),
        ("a = [\n  1, # \u{07}\n]", 5, "control character U+0007 is not allowed in a comment"),
        (
            "a = " + String(repeating: "[", count: 33) + String(repeating: "]", count: 33), 4,
            "arrays nested more than 32 deep are not supported"
        ),
    ])
    func test_parse_badArray_fails(body: String, line: Int, message: String) {
        Self.expectError(body, line: line, message)
    }

    @Test func test_parse_arrayNested32Deep_isAccepted() throws {
        let text = "a = " + String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try TOMLDocument(parsing: text) }
    }

    // MARK: - Headers

    @Test(arguments: [
        ("[a", "expected ']' to close the table header, got end of file"),
        ("[a\nx = 1", "expected ']' to close the table header, got end of line"),
        ("[[a]", "expected ']]' to close the array-of-tables header [[a]]"),
        ("[[a] ]", "expected ']]' to close the array-of-tables header [[a]]"),
        ("[[a", "expected ']]' to close the table header, got end of file"),
        ("[]", "expected a table name, got ']'"),
        ("[a.]", "expected a table name, got ']'"),
        ("[.a]", "expected a table name, got '.'"),
        ("[ [a] ]", "expected a table name, got '['"),
        ("[a b]", "expected '.' or ']' in the table header, got 'b'"),
        ("[a=b]", "invalid character '=' in table name 'a'; bare names use only A-Z, a-z, 0-9, '_' and '-'"),
        ("[a]]", "expected the end of the line after the table header [a], got ']'"),
        ("[a] x = 1", "expected the end of the line after the table header [a], got 'x'"),
        ("[[a]]]", "expected the end of the line after the table header [[a]], got ']'"),
    ])
    func test_parse_badHeader_fails(body: String, message: String) {
        Self.expectError(body, line: 4, message)
    }

    // MARK: - Duplicates and clashes

    @Test(arguments: [
        ("a = 1\nb = 2\na = 3", 6, "duplicate key 'a' in the top level (first defined on line 4)"),
        ("[t]\na = 1\na = 'x'", 6, "duplicate key 'a' in [t] (first defined on line 5)"),
        ("[[g]]\nn = 1\n[[g]]\nn = 1\nn = 2", 8, "duplicate key 'n' in [[g]] (first defined on line 7)"),
        ("[t]\n[u]\n[t]", 6, "table [t] is defined twice (first on line 4)"),
        ("[t.u]\n[t.u]", 5, "table [t.u] is defined twice (first on line 4)"),
        ("[[t]]\n[t]", 5, "[t] conflicts with the array of tables [[t]] defined on line 4"),
        ("[t]\n[[t]]", 5, "[[t]] conflicts with the table [t] defined on line 4"),
        ("t = 1\n[t]", 5, "[t] conflicts with key 't' defined on line 4"),
        ("t = [1]\n[[t]]", 5, "[[t]] conflicts with key 't' defined on line 4"),
        ("t = 1\n[t.x]", 5, "table [t.x] conflicts with key 't' defined on line 4"),
        ("[a]\nx = 1\n[a.x.y]", 6, "table [a.x.y] conflicts with key 'a.x' defined on line 5"),
        ("[a.b]\n[a]\nb = 1", 6, "key 'b' in [a] conflicts with the table defined on line 4"),
        ("[[a.b]]\n[a]\nb = 1", 6, "key 'b' in [a] conflicts with the table defined on line 4"),
    ])
    func test_parse_duplicate_fails(body: String, line: Int, message: String) {
        Self.expectError(body, line: line, message)
    }

    @Test func test_description_prefixesLine() {
        #expect(ConfigError(line: 7, message: "boom").description == "line 7: boom")
        #expect(ConfigError(message: "boom").description == "boom")
    }
}
