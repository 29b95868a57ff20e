use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::dockerfile::support::{
    Instruction, Resolved, STAGE_KIND, Scope, instructions, is_final, lineage, raw_words,
    stage_label,
};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-DOCKER-001",
        slug: "dockerfile-runs-as-root",
        title: "The final Dockerfile stage switches to a non-root USER",
        severity: Severity::High,
        input: InputKind::Dockerfile,
        kinds: &[STAGE_KIND],
        categories: &["container-non-root"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_DOCKER_8", "DL3002", "DS002"],
        references: &[
            "https://docs.docker.com/reference/dockerfile/#user",
            "https://docs.docker.com/build/building/best-practices/#user",
            "https://csrc.nist.gov/pubs/sp/800/190/final",
        ],
        docs: CheckDocs {
            what: "Finds the last `USER` instruction that applies to the final stage of a \
                   Dockerfile (the image `docker build` outputs without `--target`). When the \
                   final stage is built `FROM` an earlier stage, a `USER` set there carries over \
                   and counts. The check fails when that user is `root` or UID 0 (with any group, \
                   so `0:0` and `root:1000` fail too) and when no stage in the chain sets a \
                   `USER` at all, because the container then starts with the base image's user, \
                   which is root for most images. A `USER` built from a build argument without a \
                   default is reported as unknown. Earlier build stages are not checked: they \
                   run only inside the builder.",
            why: "A process that runs as root in a container is root on the host's kernel. Any \
                  code execution bug in a payment service then comes with the rights to read \
                  mounted secrets, write anywhere in the file system and exploit the next kernel \
                  or runtime flaw to leave the container. PCI DSS 2.2 asks for a hardened \
                  configuration of every system component and SOC 2 CC6.8 for controls against \
                  unauthorised software. A fixed non-root user in the image is the simplest \
                  evidence for both, and it lets Kubernetes enforce `runAsNonRoot`.",
            fix: "Create an unprivileged user in the final stage (or use a base image that \
                  ships one) and switch to it after the steps that need root. A numeric UID lets \
                  Kubernetes verify `runAsNonRoot` without reading `/etc/passwd`:\n\n\
                  ```dockerfile\nFROM debian:12-slim\nRUN useradd --uid 10001 --no-create-home \
                  --shell /usr/sbin/nologin ledger\nCOPY --chown=10001:10001 ledger /usr/local/bin/ledger\n\
                  USER 10001:10001\nENTRYPOINT [\"/usr/local/bin/ledger\"]\n```",
            limitations: "The user that a base image sets in its own configuration cannot be read \
                          offline, so an image such as `gcr.io/distroless/static:nonroot` still \
                          needs an explicit `USER` line to pass. A build argument with a default \
                          is judged by its default even though `--build-arg` can override it. \
                          The check assumes the last stage is the one that is shipped; an image \
                          built with `--target` is not covered.",
        },
    },
    cases: include_str!("non_root_user.cases.yaml"),
    evaluate,
};

fn evaluate(stage: &Resource, model: &Model) -> Vec<Evaluation> {
    if !is_final(stage) {
        return Vec::new();
    }

    for source in lineage(stage, model) {
        let mut scope = Scope::for_stage(source, model);
        let mut last_user: Option<(Instruction<'_>, Resolved)> = None;
        for instruction in instructions(source) {
            if instruction.keyword == "USER" {
                let word = raw_words(&instruction.joined_arguments())
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                last_user = Some((instruction, scope.expand(&word)));
            }
            scope.apply(&instruction);
        }
        if let Some((instruction, user)) = last_user {
            let inherited = (source.address != stage.address)
                .then(|| format!(" (inherited from stage `{}`)", stage_label(source)));
            return vec![judge_user(
                &instruction,
                user,
                inherited.as_deref().unwrap_or(""),
            )];
        }
    }

    vec![
        Evaluation::fail(
            stage.name_span,
            "the final stage sets no `USER`, so the container runs as the base image's user, \
             root for most images; add `USER <non-root uid>` after the steps that need root",
        )
        .attribute("USER")
        .expected("a non-root user")
        .found("omitted"),
    ]
}

fn judge_user(instruction: &Instruction<'_>, user: Resolved, inherited: &str) -> Evaluation {
    let span = instruction.span();
    let text = match user {
        Resolved::Unknown(reason) => {
            return Evaluation::unknown(
                span,
                format!("the last `USER`{inherited} cannot be known offline: {reason}"),
            )
            .attribute("USER");
        }
        Resolved::Known(text) => text,
    };

    let name = text.split(':').next().unwrap_or("").trim();
    if name.is_empty() {
        return Evaluation::fail(
            span,
            format!(
                "the last `USER`{inherited} expands to an empty user name; a global `ARG` must be \
                 declared again inside the stage to be visible there"
            ),
        )
        .attribute("USER")
        .expected("a non-root user")
        .found(format!("{text:?}"));
    }
    let is_root = name == "root" || name.parse::<u64>().is_ok_and(|uid| uid == 0);
    if is_root {
        return Evaluation::fail(
            span,
            format!(
                "the last `USER`{inherited} is `{text}`, so the container runs as root; switch to \
                 an unprivileged user such as `USER 10001` after the steps that need root"
            ),
        )
        .attribute("USER")
        .expected("a non-root user")
        .found(text);
    }
    Evaluation::pass(span, format!("the container runs as `{text}`{inherited}")).attribute("USER")
}
