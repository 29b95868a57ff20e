//! The Dockerfile parser on real files written to a temporary directory.

// A failed expectation in a test is a test failure, which is what a panic reports.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nexafi_iac::dockerfile;
use nexafi_iac::{DiagnosticLevel, Loaded};
use nexafi_model::{InputKind, LineColumn, Node, Resource, SourceMap, Span, Value};
use proptest::prelude::*;

struct Load {
    loaded: Loaded,
    sources: SourceMap,
    text: String,
    path: PathBuf,
    _directory: tempfile::TempDir,
}

impl Load {
    fn addresses(&self) -> Vec<&str> {
        self.loaded
            .resources
            .iter()
            .map(|resource| resource.address.as_str())
            .collect()
    }

    fn stage(&self, address: &str) -> &Resource {
        self.loaded
            .resources
            .iter()
            .find(|resource| resource.address == address)
            .unwrap_or_else(|| panic!("no stage {address}; found {:?}", self.addresses()))
    }

    fn only_stage(&self) -> &Resource {
        assert_eq!(self.loaded.resources.len(), 1, "{:?}", self.addresses());
        &self.loaded.resources[0]
    }

    fn slice(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    fn errors(&self) -> Vec<&str> {
        self.loaded
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.level == DiagnosticLevel::Error)
            .map(|diagnostic| diagnostic.message.as_str())
            .collect()
    }

    fn assert_clean(&self) {
        assert!(self.loaded.diagnostics.is_empty(), "{:?}", self.errors());
    }

    /// Returns the line and column where diagnostic `index` starts.
    fn error_position(&self, index: usize) -> LineColumn {
        let span = self.loaded.diagnostics[index].span.expect("span");
        self.sources.locate(span).expect("locates").start
    }
}

fn load(text: &str) -> Load {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("Dockerfile");
    std::fs::write(&path, text).expect("write Dockerfile");
    let read = std::fs::read_to_string(&path).expect("read Dockerfile");
    let sources = SourceMap::new();
    let loaded = dockerfile::load_file(&path, read.clone(), &sources);
    Load {
        loaded,
        sources,
        text: read,
        path,
        _directory: directory,
    }
}

fn at<'a>(node: &'a Node, path: &str) -> &'a Node {
    match node.lookup(path) {
        nexafi_model::Lookup::Present(found) => found,
        other => panic!("{path}: {other:?}"),
    }
}

fn get<'a>(node: &'a Node, path: &str) -> &'a Value {
    let mut current = node;
    for segment in path.split('.') {
        current = match &current.value {
            Value::Map(map) => map
                .get(segment)
                .unwrap_or_else(|| panic!("{path}: no {segment}")),
            Value::List(items) => &items[segment.parse::<usize>().expect("index")],
            other => panic!("{path}: {segment} under {other:?}"),
        };
    }
    &current.value
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn instruction(stage: &Resource, index: usize) -> &Node {
    at(&stage.body, &format!("instructions.{index}"))
}

const MULTI_STAGE: &str = "\
# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.22
ARG DEBIAN_TAG

# Build the binary.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY --link go.mod go.sum ./
RUN --mount=type=cache,target=/root/.cache/go-build \\
    --mount=type=secret,id=netrc,target=/root/.netrc \\
    go build -o /out/app ./cmd/app

FROM debian:${DEBIAN_TAG} AS runtime-base
RUN apt-get update

FROM gcr.io/distroless/static@sha256:0123abcd
COPY --from=build --chown=65532:65532 --chmod=0555 /out/app /app
USER 65532
ENTRYPOINT [\"/app\", \"serve\"]
";

#[test]
fn stages_and_addresses() {
    let load = load(MULTI_STAGE);
    load.assert_clean();
    assert_eq!(
        load.addresses(),
        vec![
            "Dockerfile/stage:build",
            "Dockerfile/stage:runtime-base",
            "Dockerfile/stage:2"
        ]
    );
    for stage in &load.loaded.resources {
        assert_eq!(stage.kind, "DockerfileStage");
        assert_eq!(stage.input, InputKind::Dockerfile);
        assert_eq!(stage.group, load.path.display().to_string());
    }
}

#[test]
fn stage_index_name_final() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    assert_eq!(get(&build.body, "index"), &Value::Number(0.0));
    assert_eq!(get(&build.body, "name"), &string("build"));
    assert_eq!(get(&build.body, "final"), &Value::Bool(false));
    let last = load.stage("Dockerfile/stage:2");
    assert_eq!(get(&last.body, "index"), &Value::Number(2.0));
    assert_eq!(get(&last.body, "name"), &Value::Null);
    assert_eq!(get(&last.body, "final"), &Value::Bool(true));
}

#[test]
fn stage_spans() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    assert_eq!(
        load.slice(build.name_span),
        "FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build"
    );
    let covered = load.slice(build.span);
    assert!(covered.starts_with("FROM --platform"), "{covered:?}");
    assert!(
        covered.ends_with("go build -o /out/app ./cmd/app"),
        "{covered:?}"
    );
}

#[test]
fn from_with_known_arg() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    assert_eq!(
        get(&build.body, "from.reference"),
        &string("golang:1.22-bookworm")
    );
    assert_eq!(get(&build.body, "from.image"), &string("golang"));
    assert_eq!(get(&build.body, "from.tag"), &string("1.22-bookworm"));
    assert_eq!(get(&build.body, "from.digest"), &Value::Null);
    assert_eq!(get(&build.body, "from.stage"), &Value::Bool(false));
    assert_eq!(get(&build.body, "from.scratch"), &Value::Bool(false));
}

#[test]
fn platform_arg_is_unknown() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    let Value::Unknown(unknown) = get(&build.body, "from.platform") else {
        panic!("platform should be unknown");
    };
    assert!(
        unknown.reason.contains("BUILDPLATFORM"),
        "{}",
        unknown.reason
    );
}

#[test]
fn arg_without_default_is_unknown() {
    let load = load(MULTI_STAGE);
    let stage = load.stage("Dockerfile/stage:runtime-base");
    assert_eq!(get(&stage.body, "from.image"), &string("debian"));
    let Value::Unknown(unknown) = get(&stage.body, "from.tag") else {
        panic!("tag should be unknown");
    };
    assert_eq!(
        unknown.reason,
        "ARG DEBIAN_TAG has no default, so its value comes from --build-arg at build time"
    );
    assert!(matches!(
        get(&stage.body, "from.reference"),
        Value::Unknown(_)
    ));
}

#[test]
fn digest_reference() {
    let load = load(MULTI_STAGE);
    let last = load.stage("Dockerfile/stage:2");
    assert_eq!(
        get(&last.body, "from.image"),
        &string("gcr.io/distroless/static")
    );
    assert_eq!(get(&last.body, "from.tag"), &Value::Null);
    assert_eq!(get(&last.body, "from.digest"), &string("sha256:0123abcd"));
}

#[test]
fn global_args_map() {
    let load = load(MULTI_STAGE);
    let last = load.stage("Dockerfile/stage:2");
    assert_eq!(get(&last.body, "args.GO_VERSION"), &string("1.22"));
    assert_eq!(get(&last.body, "args.DEBIAN_TAG"), &Value::Null);
}

#[test]
fn instructions_include_from() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    let keywords: Vec<&Value> = (0..4)
        .map(|index| get(instruction(build, index), "keyword"))
        .collect();
    assert_eq!(
        keywords,
        vec![
            &string("FROM"),
            &string("WORKDIR"),
            &string("COPY"),
            &string("RUN")
        ]
    );
}

#[test]
fn comment_above_instruction() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    assert_eq!(
        get(instruction(build, 0), "comment"),
        &string("Build the binary.")
    );
    assert_eq!(get(instruction(build, 1), "comment"), &Value::Null);
}

#[test]
fn continuation_joined_with_space() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    let run = instruction(build, 3);
    assert_eq!(
        get(run, "arguments"),
        &string("go build -o /out/app ./cmd/app")
    );
    assert_eq!(
        load.slice(run.span),
        "RUN --mount=type=cache,target=/root/.cache/go-build \\\n    \
         --mount=type=secret,id=netrc,target=/root/.netrc \\\n    \
         go build -o /out/app ./cmd/app"
    );
    assert_eq!(get(run, "keyword").clone(), string("RUN"));
    assert_eq!(at(run, "keyword").span, run.span);
}

#[test]
fn repeated_flag_is_list() {
    let load = load(MULTI_STAGE);
    let build = load.stage("Dockerfile/stage:build");
    let mounts = get(instruction(build, 3), "flags.mount");
    assert_eq!(
        mounts,
        &Value::List(vec![
            Node::new(
                instruction(build, 3).span,
                string("type=cache,target=/root/.cache/go-build")
            ),
            Node::new(
                instruction(build, 3).span,
                string("type=secret,id=netrc,target=/root/.netrc")
            ),
        ])
    );
}

#[test]
fn copy_flags() {
    let load = load(MULTI_STAGE);
    let last = load.stage("Dockerfile/stage:2");
    let copy = instruction(last, 1);
    assert_eq!(get(copy, "flags.from"), &string("build"));
    assert_eq!(get(copy, "flags.chown"), &string("65532:65532"));
    assert_eq!(get(copy, "flags.chmod"), &string("0555"));
    assert_eq!(get(copy, "arguments"), &string("/out/app /app"));
    let build = load.stage("Dockerfile/stage:build");
    assert_eq!(get(instruction(build, 2), "flags.link"), &string("true"));
}

#[test]
fn copy_from_references_stage() {
    let load = load(MULTI_STAGE);
    let last = load.stage("Dockerfile/stage:2");
    let targets: Vec<(&str, &str)> = last
        .references
        .iter()
        .map(|reference| (reference.attribute.as_str(), reference.target.as_str()))
        .collect();
    assert_eq!(
        targets,
        vec![("instructions.1.flags.from", "Dockerfile/stage:build")]
    );
}

#[test]
fn exec_form_list() {
    let load = load(MULTI_STAGE);
    let last = load.stage("Dockerfile/stage:2");
    let entrypoint = instruction(last, 3);
    assert_eq!(get(entrypoint, "keyword"), &string("ENTRYPOINT"));
    let exec: Vec<&str> = at(entrypoint, "exec")
        .as_list()
        .expect("list")
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert_eq!(exec, vec!["/app", "serve"]);
    assert_eq!(get(instruction(last, 2), "exec"), &Value::Null);
}

#[test]
fn shell_form_has_null_exec() {
    let load =
        load("FROM alpine\nCMD echo hi\nRUN [ -f /etc/os-release ] && cat /etc/os-release\n");
    load.assert_clean();
    let stage = load.only_stage();
    assert_eq!(get(instruction(stage, 1), "exec"), &Value::Null);
    assert_eq!(get(instruction(stage, 2), "exec"), &Value::Null);
}

#[test]
fn invalid_exec_json_is_error() {
    let load = load("FROM alpine\nCMD ['nginx', '-g', 'daemon off;']\n");
    let errors = load.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("invalid JSON in the exec form of CMD"),
        "{errors:?}"
    );
    assert_eq!(load.error_position(0), LineColumn { line: 2, column: 1 });
    let stage = load.only_stage();
    assert_eq!(get(instruction(stage, 1), "exec"), &Value::Null);
    assert_eq!(
        get(instruction(stage, 1), "arguments"),
        &string("['nginx', '-g', 'daemon off;']")
    );
}

#[test]
fn from_stage_and_scratch() {
    let load =
        load("FROM alpine AS Base\nRUN true\nFROM base\nFROM scratch\nCOPY --from=0 /a /a\n");
    load.assert_clean();
    let second = load.stage("Dockerfile/stage:1");
    assert_eq!(get(&second.body, "from.stage"), &Value::Bool(true));
    assert_eq!(get(&second.body, "from.scratch"), &Value::Bool(false));
    assert_eq!(second.references.len(), 1);
    assert_eq!(second.references[0].target, "Dockerfile/stage:Base");
    assert_eq!(second.references[0].attribute, "from.image");
    let third = load.stage("Dockerfile/stage:2");
    assert_eq!(get(&third.body, "from.scratch"), &Value::Bool(true));
    assert_eq!(get(&third.body, "from.stage"), &Value::Bool(false));
    assert_eq!(third.references[0].target, "Dockerfile/stage:Base");
}

#[test]
fn later_stage_name_is_image() {
    let load = load("FROM app AS first\nFROM alpine AS app\n");
    let first = load.stage("Dockerfile/stage:first");
    assert_eq!(get(&first.body, "from.stage"), &Value::Bool(false));
    assert!(first.references.is_empty());
}

#[test]
fn arg_default_substitution_forms() {
    let text = "\
ARG REGISTRY=registry.example
ARG EMPTY=
ARG BASE=${REGISTRY}/base
FROM ${BASE}:${TAG:-1.0}
FROM ${EMPTY:-alpine}:3.20
FROM \"$REGISTRY/quoted\"
";
    let load = load(text);
    load.assert_clean();
    let first = load.stage("Dockerfile/stage:0");
    assert_eq!(
        get(&first.body, "from.reference"),
        &string("registry.example/base:1.0")
    );
    let second = load.stage("Dockerfile/stage:1");
    assert_eq!(get(&second.body, "from.reference"), &string("alpine:3.20"));
    let third = load.stage("Dockerfile/stage:2");
    assert_eq!(
        get(&third.body, "from.image"),
        &string("registry.example/quoted")
    );
}

#[test]
fn undeclared_arg_is_error() {
    let load = load("FROM golang:$GO_VERSION\n");
    let errors = load.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("`$GO_VERSION` is not declared by an ARG"),
        "{errors:?}"
    );
    let stage = load.only_stage();
    assert_eq!(get(&stage.body, "from.tag"), &string(""));
}

#[test]
fn whole_image_unknown() {
    let load = load("ARG BASE\nFROM $BASE\nRUN true\n");
    load.assert_clean();
    let stage = load.only_stage();
    for key in ["reference", "image", "tag", "digest", "stage", "scratch"] {
        let value = get(&stage.body, &format!("from.{key}"));
        assert!(matches!(value, Value::Unknown(_)), "{key}: {value:?}");
    }
}

#[test]
fn escape_directive_backtick() {
    let text = "\
# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command `
    New-Item -ItemType Directory C:\\app
COPY app C:\\app\\
";
    let load = load(text);
    load.assert_clean();
    let stage = load.only_stage();
    assert_eq!(
        get(instruction(stage, 1), "arguments"),
        &string("powershell -Command New-Item -ItemType Directory C:\\app")
    );
    assert_eq!(
        get(instruction(stage, 2), "arguments"),
        &string("app C:\\app\\")
    );
    assert_eq!(load.addresses().len(), 1);
}

#[test]
fn invalid_escape_directive() {
    let load = load("# escape=x\nFROM alpine\n");
    assert_eq!(load.errors().len(), 1, "{:?}", load.errors());
    assert!(load.errors()[0].starts_with("invalid escape directive"));
    assert_eq!(load.error_position(0), LineColumn { line: 1, column: 1 });
}

#[test]
fn empty_continuation_lines() {
    let load =
        load("FROM alpine\nRUN apk add \\\n\n    curl \\\n    # a comment\n    jq\nUSER app\n");
    load.assert_clean();
    let stage = load.only_stage();
    assert_eq!(
        get(instruction(stage, 1), "arguments"),
        &string("apk add curl jq")
    );
    assert_eq!(get(instruction(stage, 2), "keyword"), &string("USER"));
}

#[test]
fn heredoc_run() {
    let text = "FROM alpine\nRUN <<EOF\nset -e\napk add curl\nEOF\nUSER app\n";
    let load = load(text);
    load.assert_clean();
    let stage = load.only_stage();
    let run = instruction(stage, 1);
    assert_eq!(get(run, "arguments"), &string("<<EOF"));
    assert_eq!(get(run, "heredocs.0.delimiter"), &string("EOF"));
    assert_eq!(
        get(run, "heredocs.0.body"),
        &string("set -e\napk add curl\n")
    );
    assert_eq!(load.slice(run.span), "RUN <<EOF\nset -e\napk add curl\nEOF");
    assert_eq!(get(instruction(stage, 2), "keyword"), &string("USER"));
}

#[test]
fn heredoc_strip_tabs_and_quotes() {
    let text = "FROM alpine\nRUN <<-'SCRIPT' bash\n\techo \"$HOME\"\n\tSCRIPT\n";
    let load = load(text);
    load.assert_clean();
    let run = instruction(load.only_stage(), 1);
    assert_eq!(get(run, "heredocs.0.delimiter"), &string("SCRIPT"));
    assert_eq!(get(run, "heredocs.0.body"), &string("echo \"$HOME\"\n"));
    assert_eq!(get(run, "arguments"), &string("<<-'SCRIPT' bash"));
}

#[test]
fn several_heredocs_on_one_line() {
    let text = "FROM alpine\nCOPY <<one.txt <<two.txt /etc/\nfirst\none.txt\nsecond\ntwo.txt\nCMD [\"cat\"]\n";
    let load = load(text);
    load.assert_clean();
    let stage = load.only_stage();
    let copy = instruction(stage, 1);
    assert_eq!(get(copy, "heredocs.0.body"), &string("first\n"));
    assert_eq!(get(copy, "heredocs.1.delimiter"), &string("two.txt"));
    assert_eq!(get(copy, "heredocs.1.body"), &string("second\n"));
    assert_eq!(get(instruction(stage, 2), "keyword"), &string("CMD"));
}

#[test]
fn heredoc_only_on_run_copy_add() {
    let load = load("FROM alpine\nENV A=<<EOF\nUSER app\n");
    load.assert_clean();
    let stage = load.only_stage();
    assert_eq!(
        get(instruction(stage, 1), "heredocs"),
        &Value::List(Vec::new())
    );
    assert_eq!(get(instruction(stage, 2), "keyword"), &string("USER"));
}

#[test]
fn unterminated_heredoc_is_error() {
    let load = load("FROM alpine\n\nRUN <<EOF\necho never closed\n");
    assert_eq!(
        load.errors(),
        vec![
            "the heredoc `EOF` is never terminated; add a line containing only `EOF` after its body"
        ]
    );
    assert_eq!(load.error_position(0), LineColumn { line: 3, column: 1 });
}

#[test]
fn onbuild_trigger() {
    let load = load("FROM alpine\nONBUILD COPY --chown=app . /src\n");
    load.assert_clean();
    let onbuild = instruction(load.only_stage(), 1);
    assert_eq!(get(onbuild, "keyword"), &string("ONBUILD"));
    assert_eq!(
        get(onbuild, "arguments"),
        &string("COPY --chown=app . /src")
    );
    assert_eq!(get(onbuild, "trigger.keyword"), &string("COPY"));
    assert_eq!(get(onbuild, "trigger.flags.chown"), &string("app"));
    assert_eq!(get(onbuild, "trigger.arguments"), &string(". /src"));
}

#[test]
fn onbuild_heredoc_belongs_to_trigger() {
    let load = load("FROM alpine\nONBUILD RUN <<EOF\nmake install\nEOF\nUSER app\n");
    load.assert_clean();
    let stage = load.only_stage();
    let onbuild = instruction(stage, 1);
    assert_eq!(
        get(onbuild, "trigger.heredocs.0.body"),
        &string("make install\n")
    );
    assert_eq!(get(onbuild, "heredocs"), &Value::List(Vec::new()));
    assert_eq!(get(instruction(stage, 2), "keyword"), &string("USER"));
}

#[test]
fn onbuild_rejects_from() {
    let load = load("FROM alpine\nONBUILD FROM debian\n");
    assert_eq!(load.errors().len(), 1);
    assert!(load.errors()[0].contains("not allowed as an ONBUILD trigger"));
}

#[test]
fn healthcheck_flags() {
    let load = load(
        "FROM alpine\nHEALTHCHECK --interval=30s --start-period=5s --retries=3 CMD wget -q -O- http://localhost/\n",
    );
    load.assert_clean();
    let healthcheck = instruction(load.only_stage(), 1);
    assert_eq!(get(healthcheck, "flags.start-period"), &string("5s"));
    assert_eq!(get(healthcheck, "flags.retries"), &string("3"));
    assert_eq!(
        get(healthcheck, "arguments"),
        &string("CMD wget -q -O- http://localhost/")
    );
}

#[test]
fn run_network_flag() {
    let load = load("FROM alpine\nRUN --network=none make test\n");
    load.assert_clean();
    let run = instruction(load.only_stage(), 1);
    assert_eq!(get(run, "flags.network"), &string("none"));
    assert_eq!(get(run, "arguments"), &string("make test"));
}

#[test]
fn lowercase_keywords() {
    let load = load("from alpine as base\nrun echo hi\n");
    load.assert_clean();
    let stage = load.stage("Dockerfile/stage:base");
    assert_eq!(get(instruction(stage, 1), "keyword"), &string("RUN"));
}

#[test]
fn unknown_instruction_position() {
    let load = load("FROM alpine\nRUN true\n  COPPY a b\n");
    assert_eq!(
        load.errors(),
        vec!["unknown instruction `COPPY`; did you mean COPY?"]
    );
    assert_eq!(load.error_position(0), LineColumn { line: 3, column: 3 });
    assert_eq!(
        load.loaded.diagnostics[0].subject.as_deref(),
        Some("Dockerfile/stage:0")
    );
}

#[test]
fn instruction_before_from() {
    let load = load("ARG A=1\nRUN echo hi\nFROM alpine\n");
    assert_eq!(load.errors().len(), 1);
    assert!(load.errors()[0].starts_with("RUN comes before the first FROM"));
    assert_eq!(load.error_position(0), LineColumn { line: 2, column: 1 });
    assert_eq!(load.addresses(), vec!["Dockerfile/stage:0"]);
}

#[test]
fn from_without_image() {
    let load = load("FROM\nRUN true\n");
    assert_eq!(
        load.errors(),
        vec!["FROM has no image; write `FROM <image>[:<tag>] [AS <name>]`"]
    );
    assert_eq!(load.error_position(0), LineColumn { line: 1, column: 1 });
    let stage = load.only_stage();
    assert!(matches!(get(&stage.body, "from.image"), Value::Unknown(_)));
}

#[test]
fn no_from_is_one_error() {
    for text in ["", "# just a comment\n", "ARG A=1\nRUN echo\nBOGUS x\n"] {
        let load = load(text);
        assert!(load.loaded.resources.is_empty(), "{text:?}");
        assert_eq!(
            load.errors(),
            vec![
                "the Dockerfile has no FROM instruction; start the first build stage with `FROM <image>`"
            ],
            "{text:?}"
        );
    }
}

#[test]
fn invalid_stage_name() {
    let load = load("FROM alpine AS 1st\n");
    assert_eq!(load.errors().len(), 1);
    assert!(load.errors()[0].starts_with("invalid stage name \"1st\""));
    assert_eq!(load.addresses(), vec!["Dockerfile/stage:0"]);
}

#[test]
fn multibyte_text_gives_byte_spans() {
    let text =
        "# Étape de compilation — été\nFROM alpine AS cafe\nRUN echo \"naïve\" \\\n  && echo ok\n";
    let load = load(text);
    load.assert_clean();
    let stage = load.stage("Dockerfile/stage:cafe");
    assert_eq!(load.slice(stage.name_span), "FROM alpine AS cafe");
    let run = instruction(stage, 1);
    assert_eq!(load.slice(run.span), "RUN echo \"naïve\" \\\n  && echo ok");
    assert_eq!(
        get(instruction(stage, 0), "comment"),
        &string("Étape de compilation — été")
    );
}

#[test]
fn crlf_and_byte_order_mark() {
    let text = "\u{feff}FROM alpine\r\nRUN a \\\r\n    b\r\nUSER app\r\n";
    let load = load(text);
    load.assert_clean();
    let stage = load.only_stage();
    assert_eq!(get(instruction(stage, 1), "arguments"), &string("a b"));
    assert_eq!(load.slice(instruction(stage, 2).span), "USER app");
}

#[test]
fn long_line_is_fast() {
    let mut text = String::from("FROM alpine\nRUN echo ");
    text.push_str(&"x".repeat(4_000_000));
    text.push('\n');
    let started = Instant::now();
    let load = load(&text);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    load.assert_clean();
}

#[test]
fn many_continuations_are_fast() {
    let mut text = String::from("FROM alpine\nRUN true");
    for _ in 0..100_000 {
        text.push_str(" \\\n  && true");
    }
    text.push('\n');
    let started = Instant::now();
    let load = load(&text);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    load.assert_clean();
}

#[test]
fn many_heredoc_markers_are_fast() {
    let mut text = String::from("FROM alpine\nRUN");
    for index in 0..20_000 {
        text.push_str(&format!(" <<E{index}"));
    }
    text.push('\n');
    let started = Instant::now();
    let load = load(&text);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let errors = load.errors();
    assert_eq!(errors.len(), 101);
    assert_eq!(
        errors[100],
        "19900 more errors in this file are not shown; fix the errors above first"
    );
}

#[test]
fn file_is_added_to_sources() {
    let load = load(MULTI_STAGE);
    let stage = load.stage("Dockerfile/stage:build");
    let file = load.sources.get(stage.span.file).expect("file stored");
    assert!(file.path.ends_with(Path::new("Dockerfile")));
}

/// Loads a fixture from `tests/data/dockerfile` as it is on disk.
fn load_fixture(name: &str) -> Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/dockerfile")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("read fixture");
    dockerfile::load_file(&path, text, &SourceMap::new())
}

#[test]
fn fixtures_load_cleanly() {
    let cases: &[(&str, &[&str])] = &[
        (
            "Dockerfile.multistage",
            &["Dockerfile/stage:build", "Dockerfile/stage:runtime"],
        ),
        ("Dockerfile.heredoc", &["Dockerfile/stage:0"]),
        ("Dockerfile.windows", &["Dockerfile/stage:0"]),
    ];
    for (name, expected) in cases {
        let loaded = load_fixture(name);
        let messages: Vec<&str> = loaded
            .diagnostics
            .iter()
            .map(|diagnostic| diagnostic.message.as_str())
            .collect();
        assert!(messages.is_empty(), "{name}: {messages:?}");
        let addresses: Vec<&str> = loaded
            .resources
            .iter()
            .map(|resource| resource.address.as_str())
            .collect();
        assert_eq!(&addresses, expected, "{name}");
    }
}

#[test]
fn fixture_heredoc_instructions() {
    let loaded = load_fixture("Dockerfile.heredoc");
    let stage = &loaded.resources[0];
    let keywords: Vec<&str> = at(&stage.body, "instructions")
        .as_list()
        .expect("list")
        .iter()
        .filter_map(|instruction| instruction.get("keyword").and_then(Node::as_str))
        .collect();
    assert_eq!(
        keywords,
        vec!["FROM", "RUN", "COPY", "ONBUILD", "USER", "CMD"]
    );
    assert_eq!(
        get(instruction(stage, 2), "heredocs.0.body"),
        &string("listen = 8443\ntls = required\n")
    );
    assert_eq!(
        get(instruction(stage, 3), "trigger.keyword"),
        &string("RUN")
    );
}

#[test]
fn fixture_windows_shell() {
    let loaded = load_fixture("Dockerfile.windows");
    let stage = &loaded.resources[0];
    let shell = instruction(stage, 1);
    assert_eq!(get(shell, "exec.0"), &string("powershell"));
    assert_eq!(
        get(instruction(stage, 2), "arguments"),
        &string("New-Item -ItemType Directory -Path C:\\app ; Set-Location C:\\app")
    );
    assert_eq!(
        get(instruction(stage, 5), "exec.0"),
        &string("C:\\app\\ledger.exe")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let sources = SourceMap::new();
        let loaded = dockerfile::load_file(Path::new("Dockerfile"), text.clone(), &sources);
        for diagnostic in &loaded.diagnostics {
            let span = diagnostic.span.expect("span");
            prop_assert!(text.is_char_boundary(span.start as usize));
            prop_assert!(text.is_char_boundary(span.end as usize));
        }
    }

    #[test]
    fn never_panics_on_dockerfile_like_text(text in "(FROM |RUN |COPY |ARG |ONBUILD |AS |--from=|<<-?|EOF|\\$\\{|:-|\\}|\\[\"|\"\\]|[a-z ]|\\\\\\n|\\n|`|#|# escape=`\\n|é){0,120}") {
        let sources = SourceMap::new();
        let loaded = dockerfile::load_file(Path::new("Dockerfile"), text.clone(), &sources);
        for resource in &loaded.resources {
            prop_assert!(text.is_char_boundary(resource.span.start as usize));
            prop_assert!(text.is_char_boundary(resource.span.end as usize));
            prop_assert!(resource.span.end as usize <= text.len());
        }
    }
}
