use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::image::evaluate_images;
use crate::kubernetes::pod;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-IMAGE-001",
        slug: "k8s-image-latest-tag",
        title: "Container images name a fixed tag, not latest or none",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["image-provenance"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_14"],
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-names",
            "https://kubernetes.io/docs/concepts/configuration/overview/#container-images",
        ],
        docs: CheckDocs {
            what: "Parses `image` of every container, init container and ephemeral container, \
                   one verdict per container. An image with a digest (`@sha256:…`) passes, \
                   whatever its tag. Otherwise the image fails when its tag is `latest` or \
                   when it has no tag, which the container runtime resolves to `latest`. A \
                   container without `image` is `unknown`, since tooling fills it in at \
                   deploy time.",
            why: "`latest` moves: two nodes can run different code under the same manifest, a \
                  restart can silently upgrade a payment service, and nobody can say which \
                  build processed a given transaction. Change management under SOX and PCI DSS \
                  needs every deployment to name the exact version that was reviewed, tested \
                  and scanned.",
            fix: "Name a release tag, or better a digest:\n\n```yaml\nimage: \
                  registry.example.com/payments/api:1.4.2\n```",
            limitations: "Other mutable tags (`stable`, `main`, `v1`) pass, because the check \
                          cannot tell them from release tags; the digest check covers them.",
        },
    },
    cases: include_str!("latest_tag.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    evaluate_images(resource, |container, node, image| {
        let label = container.label();
        let attribute = container.attribute("image");
        let fix = "name a release tag or a digest (`@sha256:…`)";
        if image.digest.is_some() {
            return Evaluation::pass(node.span, format!("{label} pins its image by digest"))
                .attribute(attribute);
        }
        match image.tag {
            Some("latest") => Evaluation::fail(
                node.span,
                format!(
                    "{label} uses the moving tag `latest` of {}; {fix}",
                    image.repository
                ),
            )
            .attribute(attribute)
            .expected("a fixed tag or a digest")
            .found(node.display()),
            None => Evaluation::fail(
                node.span,
                format!(
                    "{label} names image {} without a tag, which resolves to `latest`; {fix}",
                    image.repository
                ),
            )
            .attribute(attribute)
            .expected("a fixed tag or a digest")
            .found(node.display()),
            Some(tag) => Evaluation::pass(node.span, format!("{label} uses tag `{tag}`"))
                .attribute(attribute),
        }
    })
}
