use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::dockerfile::support::{BaseImage, STAGE_KIND, base_image};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-DOCKER-002",
        slug: "dockerfile-base-image-not-pinned",
        title: "Base images are pinned by digest",
        severity: Severity::Medium,
        input: InputKind::Dockerfile,
        kinds: &[STAGE_KIND],
        categories: &["image-provenance"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.docker.com/reference/dockerfile/#from",
            "https://docs.docker.com/build/building/best-practices/#pin-base-image-versions",
            "https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests",
        ],
        docs: CheckDocs {
            what: "Reads the `FROM` line of every build stage that pulls an image from a \
                   registry, builder stages included, and fails when the reference carries no \
                   `@sha256:` digest or a digest that is not 64 hexadecimal digits \
                   (`@sha512:` with 128 digits is accepted too). Stages built `FROM` an earlier \
                   stage or `FROM scratch` pull nothing and are skipped. A reference that \
                   depends on a build argument without a default is reported as unknown.",
            why: "A tag is a mutable pointer: the registry owner, or anyone who takes over the \
                  account, can move `python:3.12-slim` to different content at any time, and the \
                  next build silently ships it. A digest names exactly one image, so a build is \
                  reproducible, a change of base image shows up as a reviewed diff, and the \
                  inventory of software in production that PCI DSS 6.3.2 and SOX change-management \
                  controls ask for stays true. Builder stages count because their output is \
                  copied into the shipped image.",
            fix: "Resolve the tag once (`docker buildx imagetools inspect python:3.12-slim`) and \
                  write the digest after the tag; keep the tag for readers and let a dependency \
                  bot such as Renovate or Dependabot propose digest updates:\n\n\
                  ```dockerfile\nFROM python:3.12-slim@sha256:<64 hex digits from imagetools inspect>\n```",
            limitations: "The check cannot tell whether the digest still exists in the registry \
                          or whether it matches the tag written beside it; it only checks that a \
                          well-formed digest is present. A build argument with a default is \
                          judged by its default.",
        },
    },
    cases: include_str!("base_image_digest.cases.yaml"),
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
                .attribute("from.digest"),
            ];
        }
        BaseImage::Pulled { reference, span } => (reference, span),
    };

    let evaluation = match stage.body.lookup("from.digest") {
        Lookup::Unknown(unknown, span) => Evaluation::unknown(
            span,
            format!(
                "the digest of `{reference}` cannot be known offline: {}",
                unknown.reason
            ),
        ),
        Lookup::Missing => Evaluation::fail(
            from_span,
            format!(
                "base image `{reference}` is not pinned by digest, so the registry decides what \
                 each build pulls; append `@sha256:<digest>` to the reference"
            ),
        )
        .expected("@sha256:<64 hex digits>")
        .found("no digest"),
        Lookup::Present(node) => match node.as_str() {
            Some(digest) if is_valid_digest(digest) => Evaluation::pass(
                node.span,
                format!("base image `{reference}` is pinned by digest"),
            ),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "base image `{reference}` has a malformed digest {}; use \
                     `@sha256:` followed by 64 lower-case hexadecimal digits",
                    node.display()
                ),
            )
            .expected("@sha256:<64 hex digits>")
            .found(node.display()),
        },
    };
    vec![evaluation.attribute("from.digest")]
}

/// Returns true for `sha256:` with 64 or `sha512:` with 128 lower-case hex digits, the
/// digest algorithms the OCI image specification registers.
fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let expected_length = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == expected_length
        && hex
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::is_valid_digest;

    #[test]
    fn digest_lengths() {
        assert!(is_valid_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(is_valid_digest(&format!("sha512:{}", "0".repeat(128))));
        assert!(!is_valid_digest(&format!("sha256:{}", "a".repeat(63))));
        assert!(!is_valid_digest(&format!("sha256:{}", "A".repeat(64))));
        assert!(!is_valid_digest(&format!("md5:{}", "a".repeat(32))));
        assert!(!is_valid_digest("sha256"));
    }
}
