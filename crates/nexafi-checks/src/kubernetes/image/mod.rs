//! Container image references: tags and digests.

use nexafi_model::{Evaluation, Lookup, Node, Resource};

use crate::Check;
use crate::kubernetes::object::{self, describe};
use crate::kubernetes::pod::{self, ALL_CONTAINERS, Container};

pub mod digest;
pub mod latest_tag;

pub static CHECKS: &[&Check] = &[&latest_tag::CHECK, &digest::CHECK];

/// The parts of an image reference (`registry.example.com:5000/team/api:1.4@sha256:ab…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageReference<'a> {
    /// Registry and repository, without tag or digest.
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    /// The digest after `@`, including its algorithm (`sha256:…`).
    pub digest: Option<&'a str>,
}

/// Splits an image reference into repository, tag and digest. A colon counts as the tag
/// separator only after the last slash, so a registry port (`host:5000/api`) is not
/// taken for a tag.
pub fn parse_image(reference: &str) -> ImageReference<'_> {
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    let last_slash = name.rfind('/').map_or(0, |index| index + 1);
    match name[last_slash..].rfind(':') {
        Some(colon) => {
            let split = last_slash + colon;
            ImageReference {
                repository: &name[..split],
                tag: Some(&name[split + 1..]),
                digest,
            }
        }
        None => ImageReference {
            repository: name,
            tag: None,
            digest,
        },
    }
}

/// Runs `check` on the image reference of every container of `resource`. A missing or
/// empty `image` is `unknown`: the API lets higher-level tooling (a Kustomization's
/// `images`, an admission webhook) fill it in, so the image is not known from the
/// manifest.
pub fn evaluate_images(
    resource: &Resource,
    mut check: impl FnMut(&Container<'_>, &Node, ImageReference<'_>) -> Evaluation,
) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |_, container| {
        let attribute = container.attribute("image");
        let evaluation = match container.lookup("image") {
            Lookup::Unknown(unknown, span) => object::unknown(&attribute, unknown, span),
            Lookup::Present(node) => match node.as_str().map(str::trim) {
                Some(image) if !image.is_empty() => check(container, node, parse_image(image)),
                Some(_) => missing_image(container, &attribute),
                None => Evaluation::fail(
                    node.span,
                    format!(
                        "{}: `image` is {}, not a string, so the API server rejects the object",
                        container.label(),
                        describe(node)
                    ),
                )
                .attribute(attribute)
                .expected("an image reference")
                .found(describe(node)),
            },
            Lookup::Missing => missing_image(container, &attribute),
        };
        vec![evaluation]
    })
}

fn missing_image(container: &Container<'_>, attribute: &str) -> Evaluation {
    Evaluation::unknown(
        container.span(),
        format!(
            "{} names no image in the manifest, so the image is set at deploy time and \
             cannot be checked offline",
            container.label()
        ),
    )
    .attribute(attribute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_image_plain_name() {
        let image = parse_image("nginx");
        assert_eq!(image.repository, "nginx");
        assert_eq!(image.tag, None);
        assert_eq!(image.digest, None);
    }

    #[test]
    fn parse_image_registry_port() {
        let image = parse_image("registry.example.com:5000/team/api");
        assert_eq!(image.repository, "registry.example.com:5000/team/api");
        assert_eq!(image.tag, None);
    }

    #[test]
    fn parse_image_port_and_tag() {
        let image = parse_image("registry.example.com:5000/team/api:1.4.2");
        assert_eq!(image.repository, "registry.example.com:5000/team/api");
        assert_eq!(image.tag, Some("1.4.2"));
    }

    #[test]
    fn parse_image_tag_and_digest() {
        let image = parse_image("api:1.4@sha256:0123abcd");
        assert_eq!(image.repository, "api");
        assert_eq!(image.tag, Some("1.4"));
        assert_eq!(image.digest, Some("sha256:0123abcd"));
    }

    #[test]
    fn parse_image_digest_only() {
        let image = parse_image("registry.example.com/api@sha256:0123abcd");
        assert_eq!(image.repository, "registry.example.com/api");
        assert_eq!(image.tag, None);
        assert_eq!(image.digest, Some("sha256:0123abcd"));
    }
}
