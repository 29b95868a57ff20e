use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::dockerfile::support::{Instruction, Resolved, STAGE_KIND, Scope, instructions};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-DOCKER-004",
        slug: "dockerfile-add-remote-source",
        title: "ADD does not fetch unverified remote URLs or Git repositories",
        severity: Severity::Medium,
        input: InputKind::Dockerfile,
        kinds: &[STAGE_KIND],
        categories: &["image-provenance"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.docker.com/reference/dockerfile/#add",
            "https://docs.docker.com/build/building/best-practices/#add-or-copy",
        ],
        docs: CheckDocs {
            what: "Reads the sources of every `ADD` instruction in every stage, after expanding \
                   build arguments and environment variables, in both the shell and the JSON \
                   form. It fails for an `http://` or `https://` source without a \
                   `--checksum=sha256:<64 hex digits>` flag, and for every Git source \
                   (`git@host:repo`, `git://`, `ssh://`, or a URL ending in `.git`). A source \
                   that depends on a build argument without a default is reported as unknown, \
                   since it may be a URL. A stage without `ADD` passes.",
            why: "A remote `ADD` pulls bytes from a server outside the organisation's control at \
                  every build, over whatever the server redirects to, and bakes them into the \
                  image without any record of what was fetched. A compromised download site or \
                  a moved Git branch becomes code in the payment platform with no review. \
                  PCI DSS 6.3.2 asks for an inventory of bespoke and third-party software \
                  components; content whose identity is only known at build time cannot be in \
                  it.",
            fix: "Vendor the file into the build context and use `COPY`, or keep the URL and pin \
                  its content with `--checksum`, which the builder verifies before use:\n\n\
                  ```dockerfile\n# syntax=docker/dockerfile:1\n\
                  ADD --checksum=sha256:<64 hex digits> \\\n    \
                  https://releases.example.com/agent-2.4.1.tar.gz /tmp/agent.tar.gz\n```\n\n\
                  For Git sources, build the repository in its own pipeline and copy from the \
                  resulting image pinned by digest (`COPY --from=registry/tool@sha256:...`).",
            limitations: "A Git source pinned to a full commit hash still fails: the check does \
                          not judge Git pinning and asks for the content to come through a \
                          reviewed image instead. The check reads only `ADD`; downloads made \
                          inside `RUN` (curl, wget) are covered for the piped-to-shell case by \
                          NXF-DOCKER-007. A build argument with a default is judged by its \
                          default.",
        },
    },
    cases: include_str!("add_remote_url.cases.yaml"),
    evaluate,
};

fn evaluate(stage: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();
    let mut scope = Scope::for_stage(stage, model);
    let mut add_count = 0usize;
    for instruction in instructions(stage) {
        if instruction.keyword == "ADD" {
            let attribute = format!("ADD.{add_count}");
            add_count += 1;
            evaluations.push(judge_add(&instruction, &scope).attribute(attribute));
        }
        scope.apply(&instruction);
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(stage.name_span, "the stage has no `ADD` instruction")
                .attribute("ADD"),
        );
    }
    evaluations
}

fn judge_add(instruction: &Instruction<'_>, scope: &Scope<'_>) -> Evaluation {
    let span = instruction.span();
    let mut operands = instruction.operand_words();
    // The last operand is the destination.
    operands.pop();

    let checksum_pinned = instruction
        .flag_values("checksum")
        .iter()
        .any(|value| is_sha256_checksum(value));

    let mut verified = 0usize;
    for raw in &operands {
        let source = match scope.expand(raw) {
            Resolved::Unknown(reason) => {
                return Evaluation::unknown(
                    span,
                    format!("an `ADD` source cannot be known offline and may be a URL: {reason}"),
                );
            }
            Resolved::Known(source) => source,
        };
        match classify(&source) {
            Source::Git => {
                return Evaluation::fail(
                    span,
                    format!(
                        "`ADD` clones Git source `{source}` at build time; build it in its own \
                         pipeline and `COPY --from` an image pinned by digest"
                    ),
                )
                .expected("local sources, or an http(s) URL with --checksum")
                .found(source);
            }
            Source::Http if !checksum_pinned => {
                return Evaluation::fail(
                    span,
                    format!(
                        "`ADD` downloads `{source}` without verifying it; vendor the file and \
                         `COPY` it, or add `--checksum=sha256:<digest>`"
                    ),
                )
                .expected("local sources, or an http(s) URL with --checksum")
                .found(source);
            }
            Source::Http => verified += 1,
            Source::Local => {}
        }
    }

    let message = if verified > 0 {
        "`ADD` downloads are verified with `--checksum`"
    } else {
        "`ADD` copies local sources only"
    };
    Evaluation::pass(span, message)
}

enum Source {
    Local,
    Http,
    Git,
}

fn classify(source: &str) -> Source {
    let lower = source.to_ascii_lowercase();
    let is_git = lower.starts_with("git@")
        || lower.starts_with("git://")
        || lower.starts_with("ssh://")
        || lower.split('#').next().is_some_and(|url| {
            url.ends_with(".git") && (url.starts_with("http://") || url.starts_with("https://"))
        });
    if is_git {
        Source::Git
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        Source::Http
    } else {
        Source::Local
    }
}

fn is_sha256_checksum(value: &str) -> bool {
    value
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}
