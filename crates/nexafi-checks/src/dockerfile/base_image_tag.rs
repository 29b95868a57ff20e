use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::dockerfile::support::{BaseImage, STAGE_KIND, base_image};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-DOCKER-003",
        slug: "dockerfile-base-image-latest",
        title: "Base images name an explicit version tag, not latest",
        severity: Severity::Medium,
        input: InputKind::Dockerfile,
        kinds: &[STAGE_KIND],
        categories: &["image-provenance"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_DOCKER_7", "DL3006", "DL3007", "DS001"],
        references: &[
            "https://docs.docker.com/reference/dockerfile/#from",
            "https://docs.docker.com/reference/cli/docker/image/tag/",
        ],
        docs: CheckDocs {
            what: "Reads the `FROM` line of every build stage that pulls an image from a \
                   registry and fails when the reference has no tag (the registry then serves \
                   `latest`) or when the tag is `latest`. A reference pinned by digest passes \
                   with or without a tag, because the builder ignores the tag once a digest is \
                   given. Stages built `FROM` an earlier stage or `FROM scratch` are skipped, and \
                   a reference or tag that depends on a build argument without a default is \
                   reported as unknown.",
            why: "`latest` is whatever was pushed last. Two builds of the same commit can ship \
                  different operating system packages and language runtimes, a rebuild made to \
                  fix one vulnerability can pull in a new major version, and nobody can say from \
                  the repository which version runs in production. Change management under SOX \
                  and PCI DSS 6.3.2 needs the software inventory to come from reviewed code, not \
                  from the state of a registry at build time.",
            fix: "Name the version you tested, ideally together with its digest \
                  (see NXF-DOCKER-002):\n\n\
                  ```dockerfile\nFROM python:3.12.7-slim-bookworm\n```",
            limitations: "Only the literal tag `latest` and a missing tag fail. Other tags that \
                          move, such as `lts`, `stable` or a bare major version like `3`, pass; \
                          pinning by digest is the control that covers them. Tags are compared \
                          case-sensitively, as registries do.",
        },
    },
    cases: include_str!("base_image_tag.cases.yaml"),
    evaluate,
};

fn evaluate(stage: &Resource, _model: &Model) -> Vec<Evaluation> {
    let (reference, from_span) = match base_image(stage) {
        BaseImage::NotPulled => return Vec::new(),
        BaseImage::Unknown { reason, span } => {
            return vec![
                Evaluation::unknown(
                    span,
                    format!("the base image cannot be known offline: {reason}"),
                )
                .attribute("from.tag"),
            ];
        }
        BaseImage::Pulled { reference, span } => (reference, span),
    };

    if let Lookup::Present(digest) = stage.body.lookup("from.digest") {
        return vec![
            Evaluation::pass(
                digest.span,
                format!("base image `{reference}` is pinned by digest, so its tag does not matter"),
            )
            .attribute("from.tag"),
        ];
    }

    let evaluation = match stage.body.lookup("from.tag") {
        Lookup::Unknown(unknown, span) => Evaluation::unknown(
            span,
            format!(
                "the tag of `{reference}` cannot be known offline: {}",
                unknown.reason
            ),
        ),
        Lookup::Missing => Evaluation::fail(
            from_span,
            format!(
                "base image `{reference}` has no tag, so every build pulls whatever `latest` \
                 points to; name the tested version, for example `{reference}:<version>`"
            ),
        )
        .expected("an explicit version tag or a digest")
        .found("no tag (latest)"),
        Lookup::Present(node) => match node.as_str() {
            Some("latest") => Evaluation::fail(
                node.span,
                format!(
                    "base image `{reference}` uses the `latest` tag, which moves with every \
                     push; name the tested version or pin a digest"
                ),
            )
            .expected("an explicit version tag or a digest")
            .found("latest"),
            Some(tag) => Evaluation::pass(
                node.span,
                format!("base image `{reference}` names tag `{tag}`"),
            ),
            None => Evaluation::unknown(
                node.span,
                format!("the tag of `{reference}` is not text: {}", node.display()),
            ),
        },
    };
    vec![evaluation.attribute("from.tag")]
}
