use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::image::evaluate_images;
use crate::kubernetes::pod;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-IMAGE-002",
        slug: "k8s-image-not-pinned-by-digest",
        title: "Container images are pinned by digest",
        severity: Severity::Low,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["image-provenance"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_43"],
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-names",
            "https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests",
        ],
        docs: CheckDocs {
            what: "Parses `image` of every container, init container and ephemeral container, \
                   one verdict per container. It passes when the reference carries a digest \
                   (`name@sha256:…` or `name:tag@sha256:…`) and fails otherwise, whatever the \
                   tag. A container without `image` is `unknown`.",
            why: "A tag is a pointer that whoever can push to the registry can move. A digest \
                  names the exact content: the image that was scanned, signed and approved is \
                  the one that runs, and a compromised registry account cannot swap it. This \
                  is the evidence of software integrity that supply-chain controls and PCI \
                  DSS change management ask for.",
            fix: "Resolve the tag to its digest in the release pipeline and deploy that:\n\n\
                  ```yaml\nimage: registry.example.com/payments/api:1.4.2@sha256:<digest>\n```",
            limitations: "The check does not verify that the digest exists, matches the tag or \
                          is signed; admission-time signature verification covers that.",
        },
    },
    cases: include_str!("digest.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    evaluate_images(resource, |container, node, image| {
        let label = container.label();
        let attribute = container.attribute("image");
        match image.digest {
            Some(digest) => {
                Evaluation::pass(node.span, format!("{label} pins its image to {digest}"))
                    .attribute(attribute)
            }
            None => Evaluation::fail(
                node.span,
                format!(
                    "{label} refers to {} by tag only, so a push to the registry can change \
                     what runs; append `@sha256:<digest>` from the release pipeline",
                    node.display()
                ),
            )
            .attribute(attribute)
            .expected("an image reference with @sha256 digest")
            .found(node.display()),
        }
    })
}
