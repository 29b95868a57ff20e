use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::dockerfile::support::{
    Instruction, STAGE_KIND, instructions, is_final, lineage, raw_words, stage_label,
};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-DOCKER-006",
        slug: "dockerfile-healthcheck-missing",
        title: "The final Dockerfile stage defines a HEALTHCHECK or documents why not",
        severity: Severity::Low,
        input: InputKind::Dockerfile,
        kinds: &[STAGE_KIND],
        categories: &["high-availability"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_DOCKER_2"],
        references: &[
            "https://docs.docker.com/reference/dockerfile/#healthcheck",
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
        ],
        docs: CheckDocs {
            what: "Finds the last `HEALTHCHECK` instruction that applies to the final stage, \
                   including one set in an earlier stage that the final stage is built `FROM`. \
                   `HEALTHCHECK CMD ...` passes. `HEALTHCHECK NONE` passes only when a comment \
                   sits on the line or lines directly above it, with no blank line between, \
                   stating why the image has no health check; that comment is how a Dockerfile \
                   records the decision, and the check shows it in the pass message. A bare \
                   `HEALTHCHECK NONE` and a final stage without any `HEALTHCHECK` fail.",
            why: "A container whose process hangs without exiting still counts as running. \
                  Without a health check Docker and Swarm keep sending it traffic, and the \
                  outage lasts until a person notices. Availability commitments under SOC 2 \
                  A1.2 and the business-continuity expectations of the FFIEC handbook rely on \
                  failures being detected and replaced automatically. On Kubernetes the \
                  instruction is ignored and probes in the pod spec do this work, which is the \
                  usual reason to write `HEALTHCHECK NONE` with a comment.",
            fix: "Add a cheap check of the service itself:\n\n\
                  ```dockerfile\nHEALTHCHECK --interval=30s --timeout=3s --retries=3 \\\n  \
                  CMD [\"/usr/local/bin/ledger\", \"healthcheck\"]\n```\n\n\
                  or, when the orchestrator probes the container, say so directly above an \
                  explicit opt-out:\n\n\
                  ```dockerfile\n# Kubernetes liveness and readiness probes are defined in the Helm chart.\n\
                  HEALTHCHECK NONE\n```",
            limitations: "A `HEALTHCHECK` inherited from the base image cannot be seen offline, \
                          so such images still need a line in their own Dockerfile. Any \
                          non-blank comment counts as a reason; the check does not judge its \
                          wording. The command of `HEALTHCHECK CMD` is not checked for doing \
                          anything useful.",
        },
    },
    cases: include_str!("healthcheck.cases.yaml"),
    evaluate,
};

fn evaluate(stage: &Resource, model: &Model) -> Vec<Evaluation> {
    if !is_final(stage) {
        return Vec::new();
    }

    for source in lineage(stage, model) {
        let last = instructions(source)
            .into_iter()
            .rfind(|instruction| instruction.keyword == "HEALTHCHECK");
        if let Some(instruction) = last {
            let inherited = if source.address == stage.address {
                String::new()
            } else {
                format!(" (inherited from stage `{}`)", stage_label(source))
            };
            return vec![judge(&instruction, &inherited).attribute("HEALTHCHECK")];
        }
    }

    vec![
        Evaluation::fail(
            stage.name_span,
            "the final stage has no `HEALTHCHECK`, so a hung process looks healthy; add \
             `HEALTHCHECK CMD ...`, or `HEALTHCHECK NONE` with a comment above it that says \
             which probe replaces it",
        )
        .attribute("HEALTHCHECK")
        .expected("HEALTHCHECK CMD, or HEALTHCHECK NONE with a reason")
        .found("omitted"),
    ]
}

fn judge(instruction: &Instruction<'_>, inherited: &str) -> Evaluation {
    let span = instruction.span();
    let is_none = raw_words(&instruction.joined_arguments())
        .into_iter()
        .find(|word| !word.starts_with("--"))
        .is_some_and(|word| word.eq_ignore_ascii_case("NONE"));
    if !is_none {
        return Evaluation::pass(span, format!("a `HEALTHCHECK` command is set{inherited}"));
    }
    match instruction.comment() {
        Some(reason) => Evaluation::pass(
            span,
            format!("`HEALTHCHECK NONE`{inherited} is explained: {reason}"),
        ),
        None => Evaluation::fail(
            span,
            format!(
                "`HEALTHCHECK NONE`{inherited} has no comment directly above it stating why the \
                 image has no health check; write the reason there, or define a check"
            ),
        )
        .expected("HEALTHCHECK CMD, or HEALTHCHECK NONE with a reason")
        .found("HEALTHCHECK NONE without a comment"),
    }
}
