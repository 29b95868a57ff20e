//! Terraform's built-in functions, called the way the evaluator calls them.
//!
//! Expected values come from Terraform's documentation examples where it has them, and
//! from independent computation (hashes, UUIDs) otherwise.

// Tests fail loudly on setup errors.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::fs;
use std::sync::OnceLock;

use nexafi_iac::terraform::functions::{FunctionContext, FunctionError, call, names};
use nexafi_model::{FileId, Map, Node, Span, Value};
use proptest::prelude::*;

fn span() -> Span {
    Span::new(FileId(0), 0, 0)
}

fn s(text: &str) -> Node {
    Node::new(span(), Value::String(text.to_owned()))
}

fn n(number: f64) -> Node {
    Node::new(span(), Value::Number(number))
}

fn b(flag: bool) -> Node {
    Node::new(span(), Value::Bool(flag))
}

fn null() -> Node {
    Node::null(span())
}

fn unknown(reason: &str) -> Node {
    Node::unknown(span(), reason)
}

fn list(items: Vec<Node>) -> Node {
    Node::new(span(), Value::List(items))
}

fn strings(items: &[&str]) -> Node {
    list(items.iter().map(|item| s(item)).collect())
}

fn numbers(items: &[f64]) -> Node {
    list(items.iter().map(|item| n(*item)).collect())
}

fn map(entries: Vec<(&str, Node)>) -> Node {
    let map: Map = entries
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
    Node::new(span(), Value::Map(map))
}

fn run(name: &str, args: Vec<Node>) -> Result<Node, FunctionError> {
    call(name, &args, span(), &FunctionContext::default())
}

fn run_in(name: &str, args: Vec<Node>, context: &FunctionContext) -> Result<Node, FunctionError> {
    call(name, &args, span(), context)
}

/// Runs a table of `(function, arguments, expected value)` cases.
fn check_table(cases: Vec<(&str, Vec<Node>, Node)>) {
    for (name, args, expected) in cases {
        let shown: Vec<String> = args.iter().map(Node::display).collect();
        let result = run(name, args);
        assert_eq!(
            result,
            Ok(expected),
            "{name}({}) returned the wrong value",
            shown.join(", ")
        );
    }
}

/// Runs a table of calls that must fail as invalid, with a part of the message.
fn check_invalid(cases: Vec<(&str, Vec<Node>, &str)>) {
    for (name, args, fragment) in cases {
        let shown: Vec<String> = args.iter().map(Node::display).collect();
        match run(name, args) {
            Err(FunctionError::Invalid(message)) => assert!(
                message.contains(fragment),
                "{name}({}) failed with {message:?}, which lacks {fragment:?}",
                shown.join(", ")
            ),
            other => panic!(
                "{name}({}) should be invalid ({fragment}), got {other:?}",
                shown.join(", ")
            ),
        }
    }
}

fn unknown_reason(result: Result<Node, FunctionError>) -> String {
    match result {
        Ok(node) => match node.value {
            Value::Unknown(unknown) => unknown.reason,
            other => panic!("expected an unknown value, got {other:?}"),
        },
        Err(error) => panic!("expected an unknown value, got {error:?}"),
    }
}

#[test]
fn string_functions() {
    check_table(vec![
        (
            "format",
            vec![s("Hello, %s!"), s("Ander")],
            s("Hello, Ander!"),
        ),
        (
            "format",
            vec![s("There are %d lights"), n(4.0)],
            s("There are 4 lights"),
        ),
        ("format", vec![s("%#v"), s("hello")], s("\"hello\"")),
        (
            "format",
            vec![s("%#v"), map(vec![("a", n(1.0))])],
            s("{\"a\":1}"),
        ),
        ("format", vec![s("%#v"), list(vec![b(true)])], s("[true]")),
        ("format", vec![s("%#v"), null()], s("null")),
        ("format", vec![s("%v"), n(1_000_000.0)], s("1e+06")),
        ("format", vec![s("%v"), n(1.5)], s("1.5")),
        (
            "format",
            vec![s("%v"), list(vec![n(1.0), s("a")])],
            s("[1,\"a\"]"),
        ),
        ("format", vec![s("%05.2f"), n(4.5678)], s("04.57")),
        ("format", vec![s("%e"), n(123_456.0)], s("1.234560e+05")),
        ("format", vec![s("%.3g"), n(1234.5678)], s("1.23e+03")),
        ("format", vec![s("%g"), n(0.00001)], s("1e-05")),
        ("format", vec![s("%f"), n(1.5)], s("1.500000")),
        ("format", vec![s("%x"), n(255.0)], s("ff")),
        ("format", vec![s("%#x"), n(255.0)], s("0xff")),
        ("format", vec![s("%X"), n(255.0)], s("FF")),
        ("format", vec![s("%o"), n(8.0)], s("10")),
        ("format", vec![s("%08b"), n(5.0)], s("00000101")),
        ("format", vec![s("%+d"), n(5.0)], s("+5")),
        ("format", vec![s("%d"), s("42")], s("42")),
        ("format", vec![s("%-5s|"), s("ab")], s("ab   |")),
        ("format", vec![s("%5s|"), s("ab")], s("   ab|")),
        ("format", vec![s("%3s"), s("e\u{301}")], s("  e\u{301}")),
        ("format", vec![s("%.2s"), s("hello")], s("he")),
        ("format", vec![s("%q"), s("a\"b")], s("\"a\\\"b\"")),
        ("format", vec![s("%[2]s %[1]s"), s("a"), s("b")], s("b a")),
        ("format", vec![s("%t"), s("true")], s("true")),
        ("format", vec![s("%s"), n(5.0)], s("5")),
        ("format", vec![s("100%%")], s("100%")),
        (
            "formatlist",
            vec![s("Hello, %s!"), strings(&["Valentina", "Ander"])],
            strings(&["Hello, Valentina!", "Hello, Ander!"]),
        ),
        (
            "formatlist",
            vec![
                s("%s, %s!"),
                s("Salutations"),
                strings(&["Valentina", "Ander"]),
            ],
            strings(&["Salutations, Valentina!", "Salutations, Ander!"]),
        ),
        ("formatlist", vec![s("%s"), list(vec![])], list(vec![])),
        ("formatlist", vec![s("x")], strings(&["x"])),
        (
            "join",
            vec![s(", "), strings(&["foo", "bar", "baz"])],
            s("foo, bar, baz"),
        ),
        ("join", vec![s(", "), strings(&["foo"])], s("foo")),
        (
            "join",
            vec![s("-"), strings(&["a"]), list(vec![s("b"), n(1.0)])],
            s("a-b-1"),
        ),
        (
            "split",
            vec![s(","), s("foo,bar,baz")],
            strings(&["foo", "bar", "baz"]),
        ),
        ("split", vec![s(","), s("foo")], strings(&["foo"])),
        ("split", vec![s(","), s("")], strings(&[""])),
        ("split", vec![s(""), s("abc")], strings(&["a", "b", "c"])),
        ("lower", vec![s("HELLO")], s("hello")),
        ("lower", vec![s("АЛЛО!")], s("алло!")),
        ("upper", vec![s("hello")], s("HELLO")),
        ("title", vec![s("hello world")], s("Hello World")),
        ("title", vec![s("hello-world_foo")], s("Hello-World_foo")),
        ("trimspace", vec![s("  hello\n\n")], s("hello")),
        ("trim", vec![s("?!hello?!"), s("!?")], s("hello")),
        ("trim", vec![s("foobar"), s("far")], s("oob")),
        ("trimprefix", vec![s("helloworld"), s("hello")], s("world")),
        (
            "trimprefix",
            vec![s("helloworld"), s("cat")],
            s("helloworld"),
        ),
        ("trimsuffix", vec![s("helloworld"), s("world")], s("hello")),
        (
            "replace",
            vec![s("1 + 2 + 3"), s("+"), s("-")],
            s("1 - 2 - 3"),
        ),
        (
            "replace",
            vec![s("hello world"), s("/w.*d/"), s("everybody")],
            s("hello everybody"),
        ),
        ("replace", vec![s("abc"), s("/(b)/"), s("[$1]")], s("a[b]c")),
        ("replace", vec![s("abc"), s(""), s("-")], s("-a-b-c-")),
        ("replace", vec![s("a/b"), s("/"), s("x")], s("axb")),
        ("substr", vec![s("hello world"), n(1.0), n(4.0)], s("ello")),
        ("substr", vec![s("🤔🤷"), n(0.0), n(1.0)], s("🤔")),
        (
            "substr",
            vec![s("hello world"), n(-5.0), n(-1.0)],
            s("world"),
        ),
        ("substr", vec![s("hello"), n(10.0), n(2.0)], s("")),
        ("substr", vec![s("hello"), n(-10.0), n(2.0)], s("he")),
        (
            "substr",
            vec![s("e\u{301}x"), n(0.0), n(1.0)],
            s("e\u{301}"),
        ),
        ("strrev", vec![s("hello")], s("olleh")),
        ("strrev", vec![s("a☃")], s("☃a")),
        ("startswith", vec![s("hello world"), s("hello")], b(true)),
        ("startswith", vec![s("hello world"), s("world")], b(false)),
        ("startswith", vec![s("hello"), s("")], b(true)),
        ("endswith", vec![s("hello world"), s("world")], b(true)),
        ("strcontains", vec![s("hello world"), s("wor")], b(true)),
        (
            "regex",
            vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")],
            s("aaabbbccc"),
        ),
        (
            "regex",
            vec![s(r"(\d\d\d\d)-(\d\d)-(\d\d)"), s("2019-02-01")],
            strings(&["2019", "02", "01"]),
        ),
        (
            "regex",
            vec![
                s("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                s("https://terraform.io/docs/"),
            ],
            map(vec![
                ("scheme", s("https")),
                ("authority", s("terraform.io")),
            ]),
        ),
        ("regex", vec![s("(a)?b"), s("b")], list(vec![null()])),
        (
            "regexall",
            vec![s("[a-z]+"), s("1234abcd5678efgh9")],
            strings(&["abcd", "efgh"]),
        ),
        ("regexall", vec![s("[a-z]+"), s("123")], list(vec![])),
        ("chomp", vec![s("hello\n")], s("hello")),
        ("chomp", vec![s("hello\r\n")], s("hello")),
        ("chomp", vec![s("hello\n\n")], s("hello")),
        ("chomp", vec![s("a\nb")], s("a\nb")),
        (
            "indent",
            vec![n(2.0), s("[\n  foo,\n  bar,\n]\n")],
            s("[\n    foo,\n    bar,\n  ]\n  "),
        ),
    ]);
}

#[test]
fn collection_functions() {
    check_table(vec![
        ("length", vec![list(vec![])], n(0.0)),
        ("length", vec![strings(&["a", "b"])], n(2.0)),
        ("length", vec![map(vec![("a", s("b"))])], n(1.0)),
        ("length", vec![s("hello")], n(5.0)),
        ("length", vec![s("🤔🤷")], n(2.0)),
        ("length", vec![s("e\u{301}")], n(1.0)),
        (
            "concat",
            vec![strings(&["a", ""]), strings(&["b", "c"])],
            strings(&["a", "", "b", "c"]),
        ),
        ("contains", vec![strings(&["a", "b", "c"]), s("a")], b(true)),
        (
            "contains",
            vec![strings(&["a", "b", "c"]), s("d")],
            b(false),
        ),
        ("contains", vec![numbers(&[1.0]), s("1")], b(false)),
        (
            "distinct",
            vec![strings(&["a", "b", "a", "c", "d", "b"])],
            strings(&["a", "b", "c", "d"]),
        ),
        ("element", vec![strings(&["a", "b", "c"]), n(1.0)], s("b")),
        ("element", vec![strings(&["a", "b", "c"]), n(3.0)], s("a")),
        (
            "flatten",
            vec![list(vec![
                strings(&["a", "b"]),
                list(vec![]),
                strings(&["c"]),
            ])],
            strings(&["a", "b", "c"]),
        ),
        (
            "flatten",
            vec![list(vec![
                list(vec![strings(&["a", "b"]), list(vec![])]),
                strings(&["c"]),
            ])],
            strings(&["a", "b", "c"]),
        ),
        (
            "keys",
            vec![map(vec![("c", n(2.0)), ("a", n(1.0)), ("d", n(3.0))])],
            strings(&["a", "c", "d"]),
        ),
        (
            "values",
            vec![map(vec![("c", n(2.0)), ("a", n(3.0)), ("d", n(1.0))])],
            numbers(&[3.0, 2.0, 1.0]),
        ),
        (
            "lookup",
            vec![
                map(vec![("a", s("ay")), ("b", s("bee"))]),
                s("a"),
                s("what?"),
            ],
            s("ay"),
        ),
        (
            "lookup",
            vec![
                map(vec![("a", s("ay")), ("b", s("bee"))]),
                s("c"),
                s("what?"),
            ],
            s("what?"),
        ),
        (
            "merge",
            vec![
                map(vec![("a", s("b")), ("c", s("d"))]),
                map(vec![("e", s("f")), ("c", s("z"))]),
            ],
            map(vec![("a", s("b")), ("c", s("z")), ("e", s("f"))]),
        ),
        (
            "merge",
            vec![
                map(vec![("a", s("b"))]),
                map(vec![("a", numbers(&[1.0, 2.0])), ("c", s("z"))]),
                map(vec![("d", n(3.0))]),
            ],
            map(vec![
                ("a", numbers(&[1.0, 2.0])),
                ("c", s("z")),
                ("d", n(3.0)),
            ]),
        ),
        ("merge", vec![], map(vec![])),
        ("merge", vec![null(), null()], null()),
        ("range", vec![n(3.0)], numbers(&[0.0, 1.0, 2.0])),
        ("range", vec![n(1.0), n(4.0)], numbers(&[1.0, 2.0, 3.0])),
        (
            "range",
            vec![n(1.0), n(8.0), n(2.0)],
            numbers(&[1.0, 3.0, 5.0, 7.0]),
        ),
        (
            "range",
            vec![n(1.0), n(4.0), n(0.5)],
            numbers(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5]),
        ),
        ("range", vec![n(4.0), n(1.0)], numbers(&[4.0, 3.0, 2.0])),
        (
            "range",
            vec![n(10.0), n(5.0), n(-2.0)],
            numbers(&[10.0, 8.0, 6.0]),
        ),
        ("range", vec![n(0.0)], list(vec![])),
        (
            "reverse",
            vec![numbers(&[1.0, 2.0, 3.0])],
            numbers(&[3.0, 2.0, 1.0]),
        ),
        (
            "slice",
            vec![strings(&["a", "b", "c", "d"]), n(1.0), n(3.0)],
            strings(&["b", "c"]),
        ),
        (
            "sort",
            vec![strings(&["e", "d", "a", "x"])],
            strings(&["a", "d", "e", "x"]),
        ),
        ("coalesce", vec![s("a"), s("b")], s("a")),
        ("coalesce", vec![s(""), s("b")], s("b")),
        ("coalesce", vec![n(1.0), n(2.0)], n(1.0)),
        ("coalesce", vec![null(), s(""), s("c")], s("c")),
        ("coalesce", vec![s(""), n(1.0)], s("1")),
        (
            "coalescelist",
            vec![strings(&["a", "b"]), strings(&["c", "d"])],
            strings(&["a", "b"]),
        ),
        (
            "coalescelist",
            vec![list(vec![]), strings(&["c", "d"])],
            strings(&["c", "d"]),
        ),
        (
            "compact",
            vec![list(vec![s("a"), s(""), s("b"), null(), s("c")])],
            strings(&["a", "b", "c"]),
        ),
        ("index", vec![strings(&["a", "b", "c"]), s("b")], n(1.0)),
        (
            "zipmap",
            vec![strings(&["a", "b"]), numbers(&[1.0, 2.0])],
            map(vec![("a", n(1.0)), ("b", n(2.0))]),
        ),
        (
            "setunion",
            vec![strings(&["a", "b"]), strings(&["b", "c"]), strings(&["d"])],
            strings(&["a", "b", "c", "d"]),
        ),
        (
            "setintersection",
            vec![
                strings(&["a", "b"]),
                strings(&["b", "c"]),
                strings(&["b", "d"]),
            ],
            strings(&["b"]),
        ),
        (
            "setsubtract",
            vec![strings(&["a", "b", "c"]), strings(&["a", "c"])],
            strings(&["b"]),
        ),
        (
            "setproduct",
            vec![
                strings(&["development", "staging"]),
                strings(&["app1", "app2"]),
            ],
            list(vec![
                strings(&["development", "app1"]),
                strings(&["development", "app2"]),
                strings(&["staging", "app1"]),
                strings(&["staging", "app2"]),
            ]),
        ),
        ("one", vec![list(vec![])], null()),
        ("one", vec![strings(&["hello"])], s("hello")),
        ("alltrue", vec![list(vec![s("true"), b(true)])], b(true)),
        ("alltrue", vec![list(vec![b(true), b(false)])], b(false)),
        ("alltrue", vec![list(vec![])], b(true)),
        ("anytrue", vec![list(vec![s("true")])], b(true)),
        ("anytrue", vec![list(vec![b(false), s("true")])], b(true)),
        ("anytrue", vec![list(vec![])], b(false)),
        ("sum", vec![numbers(&[10.0, 13.0, 6.0, 4.5])], n(33.5)),
        (
            "transpose",
            vec![map(vec![
                ("a", strings(&["1", "2"])),
                ("b", strings(&["2", "3"])),
            ])],
            map(vec![
                ("1", strings(&["a"])),
                ("2", strings(&["a", "b"])),
                ("3", strings(&["b"])),
            ]),
        ),
        (
            "chunklist",
            vec![strings(&["a", "b", "c", "d", "e"]), n(2.0)],
            list(vec![
                strings(&["a", "b"]),
                strings(&["c", "d"]),
                strings(&["e"]),
            ]),
        ),
        (
            "chunklist",
            vec![strings(&["a", "b"]), n(0.0)],
            list(vec![strings(&["a", "b"])]),
        ),
        (
            "matchkeys",
            vec![
                strings(&["i-123", "i-abc", "i-def"]),
                strings(&["us-west", "us-east", "us-east"]),
                strings(&["us-east"]),
            ],
            strings(&["i-abc", "i-def"]),
        ),
    ]);
}

#[test]
fn conversion_functions() {
    check_table(vec![
        ("tostring", vec![s("hello")], s("hello")),
        ("tostring", vec![n(1.0)], s("1")),
        ("tostring", vec![n(1.5)], s("1.5")),
        ("tostring", vec![b(true)], s("true")),
        ("tostring", vec![null()], null()),
        ("tonumber", vec![n(1.0)], n(1.0)),
        ("tonumber", vec![s("1")], n(1.0)),
        ("tonumber", vec![s("1e3")], n(1000.0)),
        ("tonumber", vec![null()], null()),
        ("tobool", vec![b(true)], b(true)),
        ("tobool", vec![s("false")], b(false)),
        ("tobool", vec![null()], null()),
        (
            "tolist",
            vec![strings(&["a", "b", "c"])],
            strings(&["a", "b", "c"]),
        ),
        (
            "tolist",
            vec![list(vec![s("a"), n(1.0), b(true)])],
            strings(&["a", "1", "true"]),
        ),
        (
            "toset",
            vec![strings(&["c", "b", "b"])],
            strings(&["b", "c"]),
        ),
        (
            "toset",
            vec![list(vec![s("a"), n(1.0)])],
            strings(&["1", "a"]),
        ),
        (
            "toset",
            vec![numbers(&[3.0, 1.0, 2.0, 1.0])],
            numbers(&[1.0, 2.0, 3.0]),
        ),
        (
            "tomap",
            vec![map(vec![("a", s("foo")), ("b", b(true))])],
            map(vec![("a", s("foo")), ("b", s("true"))]),
        ),
        ("sensitive", vec![s("secret")], s("secret")),
        ("nonsensitive", vec![s("secret")], s("secret")),
    ]);
}

#[test]
fn numeric_functions() {
    check_table(vec![
        ("min", vec![n(12.0), n(54.0), n(3.0)], n(3.0)),
        ("min", vec![s("3"), n(2.0)], n(2.0)),
        ("max", vec![n(12.0), n(54.0), n(3.0)], n(54.0)),
        ("abs", vec![n(-12.4)], n(12.4)),
        ("ceil", vec![n(5.1)], n(6.0)),
        ("floor", vec![n(4.9)], n(4.0)),
        ("pow", vec![n(3.0), n(2.0)], n(9.0)),
        ("pow", vec![n(4.0), n(0.0)], n(1.0)),
        ("pow", vec![n(10.0), n(400.0)], n(f64::INFINITY)),
        ("signum", vec![n(-13.0)], n(-1.0)),
        ("signum", vec![n(0.0)], n(0.0)),
        ("signum", vec![n(344.0)], n(1.0)),
        ("log", vec![n(16.0), n(2.0)], n(4.0)),
        ("parseint", vec![s("100"), n(10.0)], n(100.0)),
        ("parseint", vec![s("FF"), n(16.0)], n(255.0)),
        ("parseint", vec![s("-10"), n(16.0)], n(-16.0)),
        ("parseint", vec![s("1011111011101111"), n(2.0)], n(48879.0)),
        ("parseint", vec![s("aA"), n(62.0)], n(656.0)),
    ]);
}

#[test]
fn encoding_functions() {
    check_table(vec![
        (
            "jsonencode",
            vec![map(vec![("hello", s("world"))])],
            s("{\"hello\":\"world\"}"),
        ),
        (
            "jsonencode",
            vec![map(vec![("b", n(1.0)), ("a", list(vec![b(true), null()]))])],
            s("{\"a\":[true,null],\"b\":1}"),
        ),
        ("jsonencode", vec![s("<&>")], s("\"\\u003c\\u0026\\u003e\"")),
        ("jsonencode", vec![n(1.5)], s("1.5")),
        ("jsonencode", vec![n(1e20)], s("100000000000000000000")),
        (
            "jsondecode",
            vec![s("{\"hello\": \"world\"}")],
            map(vec![("hello", s("world"))]),
        ),
        ("jsondecode", vec![s("true")], b(true)),
        (
            "jsondecode",
            vec![s("[1, 2.5, null]")],
            list(vec![n(1.0), n(2.5), null()]),
        ),
        (
            "yamlencode",
            vec![map(vec![("a", s("b")), ("c", s("d"))])],
            s("\"a\": \"b\"\n\"c\": \"d\"\n"),
        ),
        (
            "yamlencode",
            vec![map(vec![
                ("foo", numbers(&[1.0, 2.0, 3.0])),
                ("bar", s("baz")),
            ])],
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n"),
        ),
        (
            "yamlencode",
            vec![map(vec![
                (
                    "foo",
                    list(vec![
                        n(1.0),
                        map(vec![("a", s("b")), ("c", s("d"))]),
                        n(3.0),
                    ]),
                ),
                ("bar", s("baz")),
            ])],
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n"),
        ),
        ("yamlencode", vec![s("hello")], s("\"hello\"\n")),
        ("yamlencode", vec![b(true)], s("true\n...\n")),
        ("yamlencode", vec![list(vec![])], s("[]\n")),
        ("yamlencode", vec![map(vec![])], s("{}\n")),
        (
            "yamlencode",
            vec![map(vec![("a", s("x\ny"))])],
            s("\"a\": |-\n  x\n  y\n"),
        ),
        (
            "yamlencode",
            vec![map(vec![("a", s("x\ty\n"))])],
            s("\"a\": \"x\\ty\\n\"\n"),
        ),
        (
            "yamlencode",
            vec![map(vec![("a", map(vec![("b", n(1.0))]))])],
            s("\"a\":\n  \"b\": 1\n"),
        ),
        (
            "yamlencode",
            vec![list(vec![numbers(&[1.0, 2.0]), numbers(&[3.0])])],
            s("- - 1\n  - 2\n- - 3\n"),
        ),
        (
            "yamldecode",
            vec![s("hello: world\nlist: [1, 2]")],
            map(vec![("hello", s("world")), ("list", numbers(&[1.0, 2.0]))]),
        ),
        ("yamldecode", vec![s("true")], b(true)),
        ("yamldecode", vec![s("yes")], b(true)),
        ("yamldecode", vec![s("'yes'")], s("yes")),
        ("yamldecode", vec![s("~")], null()),
        ("yamldecode", vec![s("")], null()),
        ("yamldecode", vec![s("1_000")], n(1000.0)),
        ("yamldecode", vec![s("0x1F")], s("0x1F")),
        ("yamldecode", vec![s("!!int 0x1F")], n(31.0)),
        (
            "yamldecode",
            vec![s("2001-12-14")],
            s("2001-12-14T00:00:00Z"),
        ),
        (
            "yamldecode",
            vec![s("a: &x {b: 1}\nc: *x")],
            map(vec![
                ("a", map(vec![("b", n(1.0))])),
                ("c", map(vec![("b", n(1.0))])),
            ]),
        ),
        (
            "yamldecode",
            vec![s("base: &b {x: 1}\nchild:\n  <<: *b\n  z: 3\n")],
            map(vec![
                ("base", map(vec![("x", n(1.0))])),
                (
                    "child",
                    map(vec![("<<", map(vec![("x", n(1.0))])), ("z", n(3.0))]),
                ),
            ]),
        ),
        ("yamldecode", vec![s("yes: 1")], map(vec![("true", n(1.0))])),
        ("yamldecode", vec![s("-Inf")], n(f64::NEG_INFINITY)),
        (
            "base64encode",
            vec![s("Hello World")],
            s("SGVsbG8gV29ybGQ="),
        ),
        (
            "base64decode",
            vec![s("SGVsbG8gV29ybGQ=")],
            s("Hello World"),
        ),
        ("urlencode", vec![s("Hello World!")], s("Hello+World%21")),
        ("urlencode", vec![s("☃")], s("%E2%98%83")),
        (
            "urlencode",
            vec![s("foo:bar@localhost?foo=bar&bar=baz")],
            s("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz"),
        ),
        (
            "csvdecode",
            vec![s("a,b,c\n1,2,3\n4,5,6")],
            list(vec![
                map(vec![("a", s("1")), ("b", s("2")), ("c", s("3"))]),
                map(vec![("a", s("4")), ("b", s("5")), ("c", s("6"))]),
            ]),
        ),
        (
            "csvdecode",
            vec![s("name,note\r\nx,\"a, \"\"b\"\"\"\r\n")],
            list(vec![map(vec![("name", s("x")), ("note", s("a, \"b\""))])]),
        ),
    ]);
}

#[test]
fn yaml_round_trip() {
    let original = map(vec![
        ("name", s("payments")),
        ("script", s("#!/bin/sh\necho ready\n")),
        ("ports", numbers(&[443.0, 8443.0])),
        (
            "labels",
            map(vec![("tier", s("pci")), ("quote", s("say \"hi\""))]),
        ),
        ("enabled", b(true)),
        ("nothing", null()),
    ]);
    let encoded = run("yamlencode", vec![original.clone()]);
    let Ok(encoded) = encoded else {
        panic!("yamlencode failed: {encoded:?}");
    };
    let decoded = run("yamldecode", vec![encoded.clone()]);
    assert_eq!(
        decoded.map(|node| node.to_json()),
        Ok(original.to_json()),
        "yamldecode(yamlencode(x)) differs, encoded as {}",
        encoded.display()
    );
}

#[test]
fn hash_functions() {
    check_table(vec![
        (
            "md5",
            vec![s("hello world")],
            s("5eb63bbbe01eeed093cb22bb8f5acdc3"),
        ),
        (
            "sha1",
            vec![s("hello world")],
            s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
        ),
        (
            "sha256",
            vec![s("hello world")],
            s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
        ),
        (
            "sha512",
            vec![s("hello world")],
            s(
                "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            ),
        ),
        (
            "base64sha256",
            vec![s("hello world")],
            s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
        ),
        (
            "base64sha512",
            vec![s("hello world")],
            s(
                "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==",
            ),
        ),
        (
            "uuidv5",
            vec![s("dns"), s("www.terraform.io")],
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
        ),
        (
            "uuidv5",
            vec![s("url"), s("https://www.terraform.io/")],
            s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"),
        ),
        (
            "uuidv5",
            vec![s("oid"), s("1.3.6.1.4")],
            s("af9d40a5-7a36-5c07-b23a-851cd99fbfa5"),
        ),
        (
            "uuidv5",
            vec![s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), s("x")],
            s("05b16a01-46c6-56dd-bd6e-c6dfb4a1427a"),
        ),
    ]);
}

#[test]
fn ip_functions() {
    check_table(vec![
        (
            "cidrhost",
            vec![s("10.12.112.0/20"), n(16.0)],
            s("10.12.112.16"),
        ),
        (
            "cidrhost",
            vec![s("10.12.112.0/20"), n(268.0)],
            s("10.12.113.12"),
        ),
        ("cidrhost", vec![s("10.0.0.0/24"), n(-1.0)], s("10.0.0.255")),
        (
            "cidrhost",
            vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)],
            s("fd00:fd12:3456:7890::22"),
        ),
        ("cidrnetmask", vec![s("172.16.0.0/12")], s("255.240.0.0")),
        (
            "cidrsubnet",
            vec![s("172.16.0.0/12"), n(4.0), n(2.0)],
            s("172.18.0.0/16"),
        ),
        (
            "cidrsubnet",
            vec![s("10.1.2.0/24"), n(4.0), n(15.0)],
            s("10.1.2.240/28"),
        ),
        (
            "cidrsubnet",
            vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)],
            s("fd00:fd12:3456:7800:a200::/72"),
        ),
        (
            "cidrsubnets",
            vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)],
            strings(&[
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20",
            ]),
        ),
        (
            "cidrsubnets",
            vec![
                s("fd00:fd12:3456:7890::/56"),
                n(16.0),
                n(16.0),
                n(16.0),
                n(32.0),
            ],
            strings(&[
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88",
            ]),
        ),
        ("cidrsubnets", vec![s("10.0.0.0/8")], list(vec![])),
    ]);
}

#[test]
fn datetime_functions() {
    check_table(vec![
        (
            "formatdate",
            vec![s("DD MMM YYYY hh:mm ZZZ"), s("2018-01-02T23:12:01Z")],
            s("02 Jan 2018 23:12 UTC"),
        ),
        (
            "formatdate",
            vec![s("EEEE, DD-MMM-YY hh:mm:ss ZZZ"), s("2018-01-02T23:12:01Z")],
            s("Tuesday, 02-Jan-18 23:12:01 UTC"),
        ),
        (
            "formatdate",
            vec![
                s("EEE, DD MMM YYYY hh:mm:ss ZZZ"),
                s("2018-01-02T23:12:01-08:00"),
            ],
            s("Tue, 02 Jan 2018 23:12:01 -0800"),
        ),
        (
            "formatdate",
            vec![s("MMM DD, YYYY"), s("2018-01-02T23:12:01Z")],
            s("Jan 02, 2018"),
        ),
        (
            "formatdate",
            vec![s("HH:mmaa"), s("2018-01-02T23:12:01Z")],
            s("11:12pm"),
        ),
        (
            "formatdate",
            vec![s("h 'o''clock'"), s("2018-01-02T05:00:00Z")],
            s("5 o'clock"),
        ),
        (
            "formatdate",
            vec![
                s("YYYY-MM-DD'T'hh:mm:ssZ"),
                s("2018-01-02T05:00:00.123+05:30"),
            ],
            s("2018-01-02T05:00:00+05:30"),
        ),
        (
            "timeadd",
            vec![s("2017-11-22T00:00:00Z"), s("10m")],
            s("2017-11-22T00:10:00Z"),
        ),
        (
            "timeadd",
            vec![s("2017-11-22T00:00:00Z"), s("-1h")],
            s("2017-11-21T23:00:00Z"),
        ),
        (
            "timeadd",
            vec![s("2024-02-28T23:30:00+02:00"), s("1h")],
            s("2024-02-29T00:30:00+02:00"),
        ),
        (
            "timecmp",
            vec![s("2017-11-22T00:00:00Z"), s("2017-11-22T00:00:00Z")],
            n(0.0),
        ),
        (
            "timecmp",
            vec![s("2017-11-22T00:00:00Z"), s("2017-11-22T01:00:00Z")],
            n(-1.0),
        ),
        (
            "timecmp",
            vec![s("2017-11-22T01:00:00Z"), s("2017-11-22T00:00:00Z")],
            n(1.0),
        ),
        (
            "timecmp",
            vec![s("2017-11-22T01:00:00Z"), s("2017-11-22T00:00:00-01:00")],
            n(0.0),
        ),
    ]);
}

/// A module directory with a text file, a binary file and a subdirectory, inside a
/// scanned directory that also contains a file next to the module.
struct Module {
    _root: tempfile::TempDir,
    scanned: std::path::PathBuf,
    context: FunctionContext,
}

fn module() -> Module {
    let root = tempfile::tempdir().expect("create a temporary directory");
    let scanned = root.path().join("repo");
    let module_dir = scanned.join("modules").join("bucket");
    fs::create_dir_all(module_dir.join("templates")).expect("create the module directory");
    fs::write(
        module_dir.join("policy.json"),
        "{\"Version\": \"2012-10-17\"}\n",
    )
    .expect("write policy.json");
    fs::write(module_dir.join("blob.bin"), [0xff_u8, 0xfe, 0x00]).expect("write blob.bin");
    fs::write(scanned.join("shared.txt"), "shared").expect("write shared.txt");
    fs::write(root.path().join("secret.txt"), "do not read").expect("write secret.txt");
    let context = FunctionContext {
        module_dir,
        read_root: None,
    };
    Module {
        _root: root,
        scanned,
        context,
    }
}

#[test]
fn file_reads_module_file() {
    let module = module();
    let result = run_in("file", vec![s("policy.json")], &module.context);
    assert_eq!(result, Ok(s("{\"Version\": \"2012-10-17\"}\n")));
    let hash = run_in("filesha256", vec![s("./policy.json")], &module.context);
    let expected = run("sha256", vec![s("{\"Version\": \"2012-10-17\"}\n")]);
    assert_eq!(hash, expected);
    let encoded = run_in("filebase64", vec![s("blob.bin")], &module.context);
    assert_eq!(encoded, Ok(s("//4A")));
    let md5 = run_in("filemd5", vec![s("policy.json")], &module.context);
    assert!(matches!(md5, Ok(Node { value: Value::String(ref text), .. }) if text.len() == 32));
}

#[test]
fn fileset_lists_matches() {
    let module = module();
    let dir = &module.context.module_dir;
    fs::write(dir.join("templates").join("a.tpl"), "a").expect("write a.tpl");
    fs::create_dir_all(dir.join("templates").join("nested")).expect("create nested");
    fs::write(dir.join("templates").join("nested").join("b.tpl"), "b").expect("write b.tpl");
    fs::write(dir.join("templates").join("c.txt"), "c").expect("write c.txt");

    assert_eq!(
        run_in(
            "fileset",
            vec![s("."), s("templates/*.tpl")],
            &module.context
        ),
        Ok(strings(&["templates/a.tpl"]))
    );
    assert_eq!(
        run_in(
            "fileset",
            vec![s("templates"), s("**/*.tpl")],
            &module.context
        ),
        Ok(strings(&["a.tpl", "nested/b.tpl"]))
    );
    assert_eq!(
        run_in(
            "fileset",
            vec![s("templates"), s("{a.tpl,c.txt}")],
            &module.context
        ),
        Ok(strings(&["a.tpl", "c.txt"]))
    );
    assert_eq!(
        run_in("fileset", vec![s("missing"), s("*")], &module.context),
        Ok(list(vec![]))
    );
    let outside = run_in("fileset", vec![s("../.."), s("*")], &module.context);
    assert!(
        matches!(outside, Err(FunctionError::Unsupported(_))),
        "{outside:?}"
    );
}

#[test]
fn fileexists_reports_presence() {
    let module = module();
    assert_eq!(
        run_in("fileexists", vec![s("policy.json")], &module.context),
        Ok(b(true))
    );
    assert_eq!(
        run_in("fileexists", vec![s("missing.json")], &module.context),
        Ok(b(false))
    );
    assert!(matches!(
        run_in("fileexists", vec![s("templates")], &module.context),
        Err(FunctionError::Invalid(message)) if message.contains("directory")
    ));
}

#[test]
fn file_missing_is_unsupported() {
    let module = module();
    match run_in("file", vec![s("missing.json")], &module.context) {
        Err(FunctionError::Unsupported(message)) => {
            assert!(message.contains("missing.json"), "{message}");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn file_outside_root_not_read() {
    let module = module();
    let outside = run_in("file", vec![s("../../../secret.txt")], &module.context);
    assert!(
        matches!(&outside, Err(FunctionError::Unsupported(message)) if message.contains("outside")),
        "{outside:?}"
    );
    let sibling = run_in("file", vec![s("../../shared.txt")], &module.context);
    assert!(
        matches!(sibling, Err(FunctionError::Unsupported(_))),
        "{sibling:?}"
    );

    let widened = FunctionContext {
        read_root: Some(module.scanned.clone()),
        ..module.context.clone()
    };
    assert_eq!(
        run_in("file", vec![s("../../shared.txt")], &widened),
        Ok(s("shared"))
    );
    let still_outside = run_in("file", vec![s("../../../secret.txt")], &widened);
    assert!(matches!(still_outside, Err(FunctionError::Unsupported(_))));
}

#[cfg(unix)]
#[test]
fn file_symlink_outside_not_read() {
    let module = module();
    let target = module
        .scanned
        .parent()
        .map(|parent| parent.join("secret.txt"));
    let target = target.expect("the scanned directory has a parent");
    std::os::unix::fs::symlink(&target, module.context.module_dir.join("link.txt"))
        .expect("create a symbolic link");
    let result = run_in("file", vec![s("link.txt")], &module.context);
    assert!(
        matches!(result, Err(FunctionError::Unsupported(_))),
        "{result:?}"
    );
}

#[test]
fn file_binary_is_invalid() {
    let module = module();
    let result = run_in("file", vec![s("blob.bin")], &module.context);
    assert!(
        matches!(&result, Err(FunctionError::Invalid(message)) if message.contains("filebase64")),
        "{result:?}"
    );
    let directory = run_in("file", vec![s("templates")], &module.context);
    assert!(
        matches!(directory, Err(FunctionError::Invalid(_))),
        "{directory:?}"
    );
}

#[test]
fn path_functions() {
    let module = module();
    let expected = module.context.module_dir.join("b");
    assert_eq!(
        run_in("abspath", vec![s("a/../b")], &module.context),
        Ok(s(&expected.to_string_lossy()))
    );
    check_table(vec![
        ("dirname", vec![s("foo/bar/baz.txt")], s("foo/bar")),
        ("dirname", vec![s("foo")], s(".")),
        ("dirname", vec![s("/foo")], s("/")),
        ("basename", vec![s("foo/bar/baz.txt")], s("baz.txt")),
        ("basename", vec![s("foo/bar/")], s("bar")),
        ("basename", vec![s("/")], s("/")),
        ("basename", vec![s("")], s(".")),
        ("pathexpand", vec![s("/etc/hosts")], s("/etc/hosts")),
    ]);
    assert!(unknown_reason(run("pathexpand", vec![s("~/.ssh/id_rsa")])).contains("home directory"));
}

#[test]
fn unknown_argument_propagates() {
    let reason = unknown_reason(run("lower", vec![unknown("var.name has no value")]));
    assert_eq!(reason, "lower(): var.name has no value");

    let inner = run("lower", vec![unknown("var.name has no value")]).expect("lower runs");
    let outer = unknown_reason(run("upper", vec![inner]));
    assert_eq!(outer, "upper(): lower(): var.name has no value");

    let nested = unknown_reason(run("jsonencode", vec![map(vec![("a", unknown("data.x"))])]));
    assert_eq!(nested, "jsonencode(): data.x");
    assert!(unknown_reason(run("format", vec![s("%s"), unknown("u")])).starts_with("format(): "));
    assert!(unknown_reason(run("sort", vec![list(vec![s("a"), unknown("u")])])).contains("u"));
    assert!(unknown_reason(run("concat", vec![unknown("u"), strings(&["a"])])).contains("u"));
    assert!(unknown_reason(run("coalesce", vec![unknown("u"), s("a")])).contains("u"));
    assert!(
        unknown_reason(run(
            "contains",
            vec![list(vec![s("b"), unknown("u")]), s("a")]
        ))
        .contains("u")
    );
    assert!(unknown_reason(run("alltrue", vec![list(vec![b(true), unknown("u")])])).contains("u"));
    assert!(
        unknown_reason(run("lookup", vec![map(vec![("a", unknown("u"))]), s("a")])).contains("u")
    );
}

#[test]
fn unknown_elements_stay_known() {
    check_table(vec![
        ("length", vec![list(vec![unknown("u"), s("a")])], n(2.0)),
        (
            "keys",
            vec![map(vec![("b", unknown("u")), ("a", n(1.0))])],
            strings(&["a", "b"]),
        ),
        ("coalesce", vec![s("a"), unknown("u")], s("a")),
        (
            "concat",
            vec![strings(&["a"]), list(vec![unknown("u")])],
            list(vec![s("a"), unknown("u")]),
        ),
        (
            "merge",
            vec![map(vec![("a", n(1.0))]), map(vec![("b", unknown("u"))])],
            map(vec![("a", n(1.0)), ("b", unknown("u"))]),
        ),
        (
            "flatten",
            vec![list(vec![strings(&["a"]), unknown("u")])],
            list(vec![s("a"), unknown("u")]),
        ),
        (
            "contains",
            vec![list(vec![s("a"), unknown("u")]), s("a")],
            b(true),
        ),
        (
            "element",
            vec![list(vec![unknown("u"), s("b")]), n(1.0)],
            s("b"),
        ),
        (
            "lookup",
            vec![map(vec![("a", s("x")), ("b", unknown("u"))]), s("a")],
            s("x"),
        ),
        ("anytrue", vec![list(vec![unknown("u"), b(true)])], b(true)),
        (
            "index",
            vec![list(vec![s("a"), unknown("u")]), s("a")],
            n(0.0),
        ),
        (
            "formatlist",
            vec![s("%s!"), list(vec![s("a"), unknown("u")])],
            list(vec![s("a!"), Node::unknown(span(), "u")]),
        ),
    ]);
}

#[test]
fn run_dependent_values_unknown() {
    for name in ["uuid", "timestamp", "plantimestamp"] {
        let reason = unknown_reason(run(name, vec![]));
        assert!(reason.starts_with(&format!("{name}(): ")), "{reason}");
    }
    let reason = unknown_reason(run("bcrypt", vec![s("password")]));
    assert!(reason.contains("salt"), "{reason}");
}

#[test]
fn invalid_arguments() {
    let deep_json = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let deep_yaml = "[".repeat(200);
    let deeper_yaml = "[".repeat(1000);
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n\
                  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
                  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n\
                  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n\
                  h: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    let long = "a".repeat(20_000);
    let replacement = "b".repeat(1_000);
    let many_empty: Vec<Node> = (0..200).map(|_| s("")).collect();
    let wide: Vec<Node> = (0..400).map(|index| n(f64::from(index))).collect();
    check_invalid(vec![
        ("range", vec![n(1.0), n(2000.0)], "more than 1024 values"),
        (
            "range",
            vec![n(0.0), n(1.0), n(0.0)],
            "step must not be zero",
        ),
        ("range", vec![], "must have one, two, or three arguments"),
        (
            "range",
            vec![n(1.0), n(2.0), n(3.0), n(4.0)],
            "must have one, two, or three",
        ),
        (
            "range",
            vec![n(1.0), n(5.0), n(-1.0)],
            "end must be less than start",
        ),
        (
            "element",
            vec![strings(&["a"]), n(1.5)],
            "invalid value for \"index\" parameter: must be a whole number",
        ),
        ("element", vec![list(vec![]), n(0.0)], "empty list"),
        ("element", vec![strings(&["a"]), n(-1.0)], "negative index"),
        ("lower", vec![], "not enough function arguments"),
        ("lower", vec![s("a"), s("b")], "too many function arguments"),
        (
            "lower",
            vec![strings(&["a"])],
            "invalid value for \"str\" parameter: string required",
        ),
        ("lower", vec![null()], "argument must not be null"),
        (
            "lookup",
            vec![map(vec![]), s("a"), s("b"), s("c")],
            "too many function arguments",
        ),
        (
            "substr",
            vec![s("abc"), n(0.5), n(1.0)],
            "must be a whole number",
        ),
        (
            "tonumber",
            vec![s("abc")],
            "cannot convert \"abc\" to number",
        ),
        ("tobool", vec![s("yes")], "only the strings"),
        (
            "tostring",
            vec![strings(&["a"])],
            "cannot convert list to string",
        ),
        (
            "tolist",
            vec![list(vec![s("a"), strings(&["b"])])],
            "any single type",
        ),
        ("regex", vec![s("["), s("x")], "invalid regular expression"),
        ("regex", vec![s("a"), s("b")], "did not match"),
        ("regex", vec![s("(?P<a>x)(y)"), s("xy")], "cannot mix"),
        (
            "replace",
            vec![s("x"), s("/(/"), s("y")],
            "invalid regular expression",
        ),
        (
            "lookup",
            vec![map(vec![("a", n(1.0))]), s("b")],
            "lookup failed to find key \"b\"",
        ),
        ("jsondecode", vec![s("{")], "invalid JSON"),
        (
            "jsondecode",
            vec![s("{\"a\":1,\"a\":2}")],
            "duplicate \"a\" property",
        ),
        ("jsondecode", vec![s(&deep_json)], "recursion limit"),
        ("yamldecode", vec![s(&deep_yaml)], "nested more than 128"),
        ("yamldecode", vec![s(&deeper_yaml)], "invalid YAML"),
        ("yamldecode", vec![s(laughs)], "aliases copy more than"),
        (
            "yamldecode",
            vec![s("a: 1\n---\nb: 2\n")],
            "only one YAML document",
        ),
        ("yamldecode", vec![s("a: !custom x")], "unsupported tag"),
        ("yamldecode", vec![s("a: *nope")], "invalid YAML"),
        (
            "parseint",
            vec![s("12"), n(2.0)],
            "cannot parse \"12\" as a base 2 integer",
        ),
        ("parseint", vec![s("1"), n(1.0)], "between 2 and 62"),
        ("parseint", vec![s(&"F".repeat(400)), n(16.0)], "too large"),
        ("indent", vec![n(10_000_000.0), s("a\nb\nc\nd")], "limit"),
        ("indent", vec![n(-1.0), s("a\nb")], "must not be negative"),
        ("replace", vec![s(&long), s(""), s(&replacement)], "limit"),
        (
            "replace",
            vec![s(&long), s("/a/"), s(&replacement)],
            "limit",
        ),
        (
            "join",
            vec![s(&"x".repeat(100_000)), list(many_empty)],
            "limit",
        ),
        ("format", vec![s("%d"), n(1.5)], "an integer is required"),
        ("format", vec![s("%s")], "not enough arguments"),
        (
            "format",
            vec![s("%s"), s("a"), s("b")],
            "too many arguments; only 1 used",
        ),
        (
            "format",
            vec![s("hello"), s("a")],
            "no verbs in format string",
        ),
        ("format", vec![s("%z"), n(1.0)], "unsupported format verb"),
        ("format", vec![s("%")], "invalid format string"),
        (
            "format",
            vec![s("%99999999999d"), n(1.0)],
            "larger than the limit",
        ),
        (
            "format",
            vec![s("%s"), null()],
            "null value cannot be formatted",
        ),
        (
            "formatlist",
            vec![s("%s%s"), strings(&["a"]), strings(&["b", "c"])],
            "inconsistent",
        ),
        (
            "cidrsubnet",
            vec![s("10.0.0.0/30"), n(4.0), n(0.0)],
            "insufficient address space",
        ),
        (
            "cidrsubnet",
            vec![s("10.0.0.0/16"), n(2.0), n(4.0)],
            "does not accommodate a subnet",
        ),
        (
            "cidrhost",
            vec![s("10.0.0.0/30"), n(4.0)],
            "does not accommodate a host numbered 4",
        ),
        ("cidrhost", vec![s("nope"), n(1.0)], "invalid CIDR address"),
        (
            "cidrnetmask",
            vec![s("fd00::/8")],
            "IPv6 addresses cannot have a netmask",
        ),
        (
            "cidrsubnets",
            vec![s("10.0.0.0/24"), n(1.0), n(1.0), n(1.0)],
            "not enough remaining",
        ),
        (
            "cidrsubnets",
            vec![s("10.0.0.0/24"), n(0.0)],
            "at least one bit",
        ),
        (
            "cidrsubnets",
            vec![s("10.0.0.0/24"), n(9.0)],
            "too long for an IPv4 address",
        ),
        (
            "zipmap",
            vec![strings(&["a"]), numbers(&[1.0, 2.0])],
            "number of keys (1)",
        ),
        (
            "slice",
            vec![numbers(&[1.0, 2.0]), n(2.0), n(1.0)],
            "greater than end index",
        ),
        (
            "slice",
            vec![numbers(&[1.0, 2.0]), n(0.0), n(3.0)],
            "greater than the length",
        ),
        (
            "one",
            vec![numbers(&[1.0, 2.0])],
            "either zero or one elements",
        ),
        ("sum", vec![list(vec![])], "cannot sum an empty list"),
        ("sum", vec![list(vec![s("x")])], "number values"),
        (
            "coalesce",
            vec![null(), s("")],
            "no non-null, non-empty-string arguments",
        ),
        ("coalesce", vec![s("a"), strings(&["b"])], "same type"),
        ("coalescelist", vec![list(vec![])], "no non-null arguments"),
        ("concat", vec![], "at least one argument is required"),
        ("concat", vec![s("a")], "must be lists or tuples"),
        (
            "merge",
            vec![strings(&["a"])],
            "arguments must be maps or objects",
        ),
        (
            "keys",
            vec![strings(&["a"])],
            "must have map or object type",
        ),
        (
            "length",
            vec![n(1.0)],
            "a string, a collection type, or a structural type",
        ),
        (
            "setproduct",
            vec![list(wide.clone()), list(wide.clone()), list(wide)],
            "limit",
        ),
        (
            "setproduct",
            vec![strings(&["a"])],
            "at least two arguments",
        ),
        (
            "chunklist",
            vec![strings(&["a"]), n(-1.0)],
            "must be positive",
        ),
        ("join", vec![s(",")], "at least one list is required"),
        (
            "join",
            vec![s(","), list(vec![s("a"), null()])],
            "element 1 is null",
        ),
        (
            "sort",
            vec![list(vec![s("a"), null()])],
            "null string cannot be sorted",
        ),
        (
            "formatdate",
            vec![s("YYYYY"), s("2018-01-02T00:00:00Z")],
            "invalid date format verb",
        ),
        (
            "formatdate",
            vec![s("'abc"), s("2018-01-02T00:00:00Z")],
            "unterminated literal",
        ),
        (
            "formatdate",
            vec![s("YYYY"), s("2018-01-02")],
            "not a valid RFC3339 timestamp",
        ),
        (
            "formatdate",
            vec![s("YYYY"), s("2018-02-30T00:00:00Z")],
            "day out of range",
        ),
        (
            "timeadd",
            vec![s("2018-01-02T00:00:00Z"), s("1d")],
            "unknown unit",
        ),
        (
            "timeadd",
            vec![s("2018-01-02T00:00:00Z"), s("10")],
            "missing unit",
        ),
        (
            "base64decode",
            vec![s("!!!")],
            "failed to decode base64 data",
        ),
        ("base64decode", vec![s("//4A")], "not valid UTF-8"),
        ("csvdecode", vec![s("a,b\n1")], "wrong number of fields"),
        (
            "csvdecode",
            vec![s("a\nx\"y")],
            "bare \" in non-quoted-field",
        ),
        ("csvdecode", vec![s("")], "missing header line"),
        (
            "uuidv5",
            vec![s("nope"), s("x")],
            "doesn't support namespace",
        ),
        (
            "transpose",
            vec![map(vec![("a", s("b"))])],
            "map of lists of strings",
        ),
    ]);
}

#[test]
fn unknown_function_unsupported() {
    assert_eq!(
        run("nope", vec![]),
        Err(FunctionError::Unsupported(
            "function nope() is not supported offline".to_owned()
        ))
    );
    assert!(matches!(
        run("provider::aws::arn_parse", vec![s("arn:aws:s3:::bucket")]),
        Err(FunctionError::Unsupported(message)) if message.contains("provider::aws::arn_parse()")
    ));
    for name in ["try", "can", "templatefile"] {
        assert!(
            matches!(run(name, vec![]), Err(FunctionError::Unsupported(_))),
            "{name} belongs to the evaluator"
        );
    }
    assert_eq!(run("core::upper", vec![s("a")]), Ok(s("A")));
}

#[test]
fn results_carry_call_span() {
    let call_span = Span::new(FileId(3), 10, 40);
    let element_span = Span::new(FileId(3), 20, 25);
    let element = Node::new(element_span, Value::String("kept".to_owned()));
    let args = vec![list(vec![element]), strings(&["new"])];
    let result = call("concat", &args, call_span, &FunctionContext::default());
    let Ok(result) = result else {
        panic!("concat failed: {result:?}");
    };
    assert_eq!(result.span, call_span);
    let spans: Vec<Span> = result
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|item| item.span)
        .collect();
    assert_eq!(spans, vec![element_span, span()]);

    let upper = call("upper", &[s("a")], call_span, &FunctionContext::default());
    assert_eq!(upper.map(|node| node.span), Ok(call_span));
}

#[test]
fn enough_functions_listed() {
    let listed = names();
    assert!(listed.len() >= 60, "only {} functions", listed.len());
    for name in [
        "format",
        "cidrsubnets",
        "yamldecode",
        "file",
        "timeadd",
        "sum",
    ] {
        assert!(listed.contains(&name), "{name} is missing");
    }
}

/// Arbitrary small values, including the awkward ones: empty strings, strings that
/// look like regular expressions, paths or format verbs, huge and fractional numbers.
fn any_value() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        Just(null()),
        any::<bool>().prop_map(b),
        prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(0.5),
            Just(1e300),
            Just(-1e300),
            Just(f64::INFINITY),
            Just(9_007_199_254_740_993.0),
            (-300_i32..300).prop_map(f64::from),
            any::<f64>().prop_filter("finite", |number| number.is_finite()),
        ]
        .prop_map(n),
        prop_oneof![
            Just(String::new()),
            Just("/(a)/".to_owned()),
            Just("%v %d %[3]s %-5.2f".to_owned()),
            Just("10.0.0.0/8".to_owned()),
            Just("fd00::/8".to_owned()),
            Just("2018-01-02T23:12:01Z".to_owned()),
            Just("a: &x [1]\nb: *x".to_owned()),
            Just("../..".to_owned()),
            Just("e\u{301}🤔".to_owned()),
            "[ -~]{0,12}",
            "\\PC{0,6}",
        ]
        .prop_map(|text| s(&text)),
        "[a-z ]{0,8}".prop_map(|reason| unknown(&reason)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(list),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..4).prop_map(|entries| {
                let map: Map = entries.into_iter().collect();
                Node::new(span(), Value::Map(map))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn no_function_panics(
        name in prop::sample::select(names()),
        args in prop::collection::vec(any_value(), 0..4),
    ) {
        let module = module_for_fuzzing();
        let result = run_in(name, args, &module.context);
        // Any outcome is fine; reaching this line means the call did not panic.
        if let Err(FunctionError::Invalid(message) | FunctionError::Unsupported(message)) = result {
            prop_assert!(!message.is_empty());
        }
    }
}

/// Returns one module directory shared by every fuzzing case.
fn module_for_fuzzing() -> &'static Module {
    static MODULE: OnceLock<Module> = OnceLock::new();
    MODULE.get_or_init(module)
}
