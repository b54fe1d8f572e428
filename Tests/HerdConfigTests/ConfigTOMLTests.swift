import HerdCore
import Testing

@testable import HerdConfig

/// What Herd's TOML-subset reader accepts, and what it makes of it.
@Suite struct ConfigTOMLTests {
    private func parse(_ text: String) throws -> TOMLTable {
        try TOMLDocument(parsing: text).root
    }

    // MARK: - Layout

    @Test func test_parse_emptyText_givesEmptyRoot() throws {
        #expect(try self.parse("") == TOMLTable())
        #expect(try self.parse("\n\n   \n\t\n") == TOMLTable())
    }

    @Test func test_parse_commentsAndBlankLines_areSkipped() throws {
        let root = try self.parse(
            """
            # a comment
               # an indented comment

            a = 1 # trailing comment
            b = "# not a comment" # but this is
            """
        )
        #expect(root.keys == ["a", "b"])
        #expect(root["a"] == .integer(1))
        #expect(root["b"] == .string("# not a comment"))
    }

    @Test func test_parse_crlfLineEnds_countLinesLikeLF() throws {
        let root = try self.parse("# one\r\na = 1\r\n\r\nb = 2\r\n")
        #expect(root.entry("a")?.line == 2)
        #expect(root.entry("b")?.line == 4)
    }

    @Test func test_parse_byteOrderMark_isSkipped() throws {
        #expect(try self.parse("\u{FEFF}a = 1")["a"] == .integer(1))
    }

    @Test func test_parse_noFinalNewline_readsLastLine() throws {
        #expect(try self.parse("a = 1\nb = 'x'")["b"] == .string("x"))
    }

    @Test func test_parse_tabsAndSpaces_areWhitespace() throws {
        let root = try self.parse("\t a\t=\t1 \t\n[\tt . u\t]\t\nk = true")
        #expect(root["a"] == .integer(1))
        guard case .table(let t) = root["t"], case .table(let u) = t["u"] else {
            Issue.record("expected [t.u]")
            return
        }
        #expect(u["k"] == .boolean(true))
    }

    @Test func test_parse_bareKeys_allowDigitsDashesUnderscores() throws {
        let root = try self.parse("max-message-bytes = 1\n_x = 2\n1234 = 3\nA-b_C = 4")
        #expect(root.keys == ["max-message-bytes", "_x", "1234", "A-b_C"])
    }

    // MARK: - Strings

    @Test func test_parse_basicStringEscapes_areResolved() throws {
        let root = try self.parse(#"s = "q\"b\\n\nt\tr\rb\bf\fe\u00E9x\U0001F600""#)
        #expect(root["s"] == .string("q\"b\\n\nt\tr\rb\u{08}f\u{0C}e\u{E9}x\u{1F600}"))
    }

    @Test func test_parse_literalString_keepsBackslashes() throws {
        let root = try self.parse(#"s = 'C:\path\n "quoted"'"#)
        #expect(root["s"] == .string(#"C:\path\n "quoted""#))
    }

    @Test func test_parse_emptyStrings_areEmpty() throws {
        let root = try self.parse("a = \"\"\nb = ''")
        #expect(root["a"] == .string(""))
        #expect(root["b"] == .string(""))
    }

    @Test func test_parse_nonASCIIText_isKeptAndTabsAllowed() throws {
        let root = try self.parse("a = \"héllo 🌍\tworld\" # ünïcode comment\nb = 'tab\there'")
        #expect(root["a"] == .string("héllo 🌍\tworld"))
        #expect(root["b"] == .string("tab\there"))
    }

    // MARK: - Numbers and booleans

    @Test(arguments: [
        ("0", Int64(0)), ("42", 42), ("+17", 17), ("-17", -17), ("-0", 0), ("1_000_000", 1_000_000),
        ("9_223_372_036_854_775_807", .max), ("-9223372036854775808", .min),
        ("0xff", 255), ("0xDEAD_beef", 0xDEAD_BEEF), ("0o17", 15), ("0b1010", 10), ("0x7fffffffffffffff", .max),
    ])
    func test_parse_integer_givesValue(text: String, expected: Int64) throws {
        #expect(try self.parse("n = \(text)")["n"] == .integer(expected))
    }

    @Test(arguments: [
        ("1.5", 1.5), ("-0.25", -0.25), ("+3.0", 3.0), ("1e6", 1e6), ("1E6", 1e6), ("6.626e-34", 6.626e-34),
        ("-2E+3", -2e3), ("1_000.000_1", 1000.0001), ("0.0", 0.0), ("3e0_1", 3e1), ("1e-05", 1e-5),
        ("inf", .infinity), ("+inf", .infinity), ("-inf", -.infinity),
    ])
    func test_parse_float_givesValue(text: String, expected: Double) throws {
        #expect(try self.parse("x = \(text)")["x"] == .float(expected))
    }

    @Test func test_parse_nan_givesNaN() throws {
        for text in ["nan", "+nan", "-nan"] {
            guard case .float(let value) = try self.parse("x = \(text)")["x"] else {
                Issue.record("\(text) is not a float")
                continue
            }
            #expect(value.isNaN)
        }
    }

    @Test func test_parse_booleans_giveValues() throws {
        let root = try self.parse("t = true\nf = false")
        #expect(root["t"] == .boolean(true))
        #expect(root["f"] == .boolean(false))
    }

    // MARK: - Arrays

    @Test func test_parse_arrays_singleLineNestedAndMixed() throws {
        let root = try self.parse("a = []\nb = [1, 2, 3]\nc = [[1, 2], [\"x\"], []]\nd = [1, \"two\", 3.0, false]")
        #expect(root["a"] == .array([]))
        #expect(root["b"] == .array([.integer(1), .integer(2), .integer(3)]))
        #expect(root["c"] == .array([.array([.integer(1), .integer(2)]), .array([.string("x")]), .array([])]))
        #expect(root["d"] == .array([.integer(1), .string("two"), .float(3), .boolean(false)]))
    }

    @Test func test_parse_multiLineArray_allowsCommentsAndTrailingComma() throws {
        let root = try self.parse(
            """
            exec = [   # the kinds
                "shout=tr a-z A-Z",

                # a comment between elements
                'count=wc -c' ,
            ]
            after = 1
            """
        )
        #expect(root["exec"] == .array([.string("shout=tr a-z A-Z"), .string("count=wc -c")]))
        #expect(root.entry("exec")?.line == 1)
        #expect(root.entry("after")?.line == 7)
    }

    @Test func test_parse_arrayWithOnlyTrailingCommaAfterElement_isAccepted() throws {
        #expect(try self.parse("a = [1,]")["a"] == .array([.integer(1)]))
    }

    // MARK: - Tables

    @Test func test_parse_tables_holdTheirKeysWithLines() throws {
        let root = try self.parse(
            """
            top = 1

            [coordinator]
            endpoint = "tcp://127.0.0.1:5555"

            [job]
            fanout = 3
            """
        )
        #expect(root.keys == ["top", "coordinator", "job"])
        guard case .table(let coordinator) = root["coordinator"], case .table(let job) = root["job"] else {
            Issue.record("expected two tables")
            return
        }
        #expect(coordinator.line == 3)
        #expect(root.entry("coordinator")?.line == 3)
        #expect(coordinator["endpoint"] == .string("tcp://127.0.0.1:5555"))
        #expect(coordinator.entry("endpoint")?.line == 4)
        #expect(job.line == 6)
        #expect(job["fanout"] == .integer(3))
    }

    @Test func test_parse_arrayOfTables_keepsEachTableInOrder() throws {
        let root = try self.parse(
            """
            [[group]]
            name = "a"

            [[group]]
            name = "b"
            [[group]]
            """
        )
        guard case .tableArray(let groups) = root["group"] else {
            Issue.record("expected an array of tables")
            return
        }
        #expect(groups.map(\.line) == [1, 4, 6])
        #expect(groups.map { $0["name"] } == [.string("a"), .string("b"), nil])
    }

    @Test func test_parse_dottedHeaders_createImplicitTablesThatCanBeDefinedLater() throws {
        let root = try self.parse("[a.b.c]\nx = 1\n[a]\ny = 2\n[a.d]\nz = 3")
        guard case .table(let a) = root["a"], case .table(let b) = a["b"], case .table(let c) = b["c"],
            case .table(let d) = a["d"]
        else {
            Issue.record("expected nested tables")
            return
        }
        #expect(a.keys == ["b", "y", "d"])
        #expect(a.line == 3)
        #expect(c["x"] == .integer(1))
        #expect(d["z"] == .integer(3))
    }

    @Test func test_parse_subtableOfArrayOfTables_goesIntoLastElement() throws {
        let root = try self.parse(
            "[[fruit]]\nname = 'apple'\n[fruit.physical]\ncolor = 'red'\n[[fruit]]\nname = 'pear'"
        )
        guard case .tableArray(let fruits) = root["fruit"], case .table(let physical) = fruits[0]["physical"] else {
            Issue.record("expected [[fruit]] with a [fruit.physical]")
            return
        }
        #expect(fruits.count == 2)
        #expect(physical["color"] == .string("red"))
        #expect(fruits[1]["physical"] == nil)
    }

    @Test func test_parse_sameKeyInDifferentTables_isAllowed() throws {
        let root = try self.parse("name = 0\n[[g]]\nname = 1\n[[g]]\nname = 2\n[t]\nname = 3")
        #expect(root["name"] == .integer(0))
    }

    // MARK: - Rendering values

    @Test func test_description_quotesStringsSoTheyReadBack() throws {
        let tricky = "a \"quoted\" \\ back\nslash\t\u{01}\u{7F} é"
        let text = "s = \(TOMLValue.string(tricky))"
        #expect(text == #"s = "a \"quoted\" \\ back\nslash\t\u0001\u007F é""#)
        #expect(try self.parse(text)["s"] == .string(tricky))
        #expect(
            TOMLValue.array([.integer(8), .string("8"), .float(1.5), .boolean(true)]).description
                == #"[8, "8", 1.5, true]"#
        )
        #expect(TOMLValue.table(TOMLTable()).description == "a table")
    }
}
