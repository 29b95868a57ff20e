//! The built-in transformers of a kustomization: namespace, name prefix and suffix,
//! labels, annotations, replicas and images. Each value a transformer writes carries the
//! span of the kustomization entry that set it.

use nexafi_model::{Node, Span, Value};

use super::object::{Object, child_mut, ensure_map};
use super::spec::{ImageRule, LabelSet, ReplicaRule};

/// Kinds whose pod template sits at `spec.template`.
const TEMPLATE_KINDS: [&str; 6] = [
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "ReplicationController",
];

/// Kinds whose `spec.selector.matchLabels` kustomize creates when labels include selectors.
const MATCH_LABEL_KINDS: [&str; 4] = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"];

/// Kinds whose `spec.replicas` the `replicas` field sets.
const SCALABLE_KINDS: [&str; 4] = [
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "ReplicationController",
];

/// Kinds kustomize never renames with a prefix or suffix.
const UNRENAMED_KINDS: [&str; 3] = ["CustomResourceDefinition", "Namespace", "APIService"];

/// Sets `metadata.namespace` of every namespaced object, and the namespace of
/// ServiceAccount subjects of role bindings that were in the default namespace.
pub(crate) fn namespace(objects: &mut [Object], namespace: &Node) {
    for object in objects.iter_mut() {
        if !object.is_cluster_scoped()
            && let Some(metadata) = ensure_map(&mut object.node, &["metadata"], namespace.span)
        {
            metadata.insert("namespace".to_owned(), namespace.clone());
        }
        // NOTE: kustomize v5's default (`setRoleBindingSubjects: defaultOnly`) moves
        // ServiceAccount subjects whose namespace is unset or `default`; the other modes
        // are not read.
        if matches!(object.kind(), "RoleBinding" | "ClusterRoleBinding")
            && let Some(Node {
                value: Value::List(subjects),
                ..
            }) = child_mut(&mut object.node, &["subjects"])
        {
            for subject in subjects {
                let is_account =
                    subject.get("kind").and_then(Node::as_str) == Some("ServiceAccount");
                let current = subject
                    .get("namespace")
                    .and_then(Node::as_str)
                    .unwrap_or_default();
                if is_account
                    && matches!(current, "" | "default")
                    && let Value::Map(map) = &mut subject.value
                {
                    map.insert("namespace".to_owned(), namespace.clone());
                }
            }
        }
    }
}

/// Adds `namePrefix` and `nameSuffix` to every object's name, except the kinds kustomize
/// leaves alone.
pub(crate) fn rename(objects: &mut [Object], prefix: Option<&Node>, suffix: Option<&Node>) {
    let prefix = prefix.and_then(Node::as_str).unwrap_or_default();
    let suffix = suffix.and_then(Node::as_str).unwrap_or_default();
    if prefix.is_empty() && suffix.is_empty() {
        return;
    }
    for object in objects.iter_mut() {
        if UNRENAMED_KINDS.contains(&object.kind()) || object.name().is_empty() {
            continue;
        }
        let name = format!("{prefix}{}{suffix}", object.name());
        object.rename(name);
    }
}

/// Adds labels to metadata and, as the set requests, to templates and selectors, at the
/// paths of kustomize's `commonLabels` field specs.
pub(crate) fn labels(objects: &mut [Object], set: &LabelSet) {
    if set.pairs.is_empty() {
        return;
    }
    let span = set.pairs[0].1.span;
    for object in objects.iter_mut() {
        let kind = object.kind().to_owned();
        let mut paths: Vec<(&[&str], bool)> = vec![(&["metadata", "labels"], true)];
        if set.include_templates {
            if TEMPLATE_KINDS.contains(&kind.as_str()) {
                paths.push((&["spec", "template", "metadata", "labels"], true));
            }
            if kind == "CronJob" {
                paths.push((&["spec", "jobTemplate", "metadata", "labels"], true));
                paths.push((
                    &[
                        "spec",
                        "jobTemplate",
                        "spec",
                        "template",
                        "metadata",
                        "labels",
                    ],
                    true,
                ));
            }
        }
        if set.include_selectors {
            match kind.as_str() {
                "Service" => paths.push((&["spec", "selector"], true)),
                "ReplicationController" => paths.push((&["spec", "selector"], true)),
                "Job" => paths.push((&["spec", "selector", "matchLabels"], false)),
                "CronJob" => paths.push((
                    &["spec", "jobTemplate", "spec", "selector", "matchLabels"],
                    false,
                )),
                "PodDisruptionBudget" => paths.push((&["spec", "selector", "matchLabels"], false)),
                "NetworkPolicy" => paths.push((&["spec", "podSelector", "matchLabels"], false)),
                kind if MATCH_LABEL_KINDS.contains(&kind) => {
                    paths.push((&["spec", "selector", "matchLabels"], true));
                }
                _ => {}
            }
        }
        for (path, create) in paths {
            add_pairs(&mut object.node, path, create, &set.pairs, span);
        }
        if set.include_selectors && kind == "StatefulSet" {
            // Volume claim templates carry the labels too, so their claims stay selectable.
            if let Some(Node {
                value: Value::List(claims),
                ..
            }) = child_mut(&mut object.node, &["spec", "volumeClaimTemplates"])
            {
                for claim in claims {
                    add_pairs(claim, &["metadata", "labels"], true, &set.pairs, span);
                }
            }
        }
    }
}

/// Adds `commonAnnotations` to metadata and to pod and job templates.
pub(crate) fn annotations(objects: &mut [Object], pairs: &[(String, Node)]) {
    let Some(span) = pairs.first().map(|(_, node)| node.span) else {
        return;
    };
    for object in objects.iter_mut() {
        let kind = object.kind().to_owned();
        add_pairs(
            &mut object.node,
            &["metadata", "annotations"],
            true,
            pairs,
            span,
        );
        if TEMPLATE_KINDS.contains(&kind.as_str()) {
            add_pairs(
                &mut object.node,
                &["spec", "template", "metadata", "annotations"],
                true,
                pairs,
                span,
            );
        }
        if kind == "CronJob" {
            add_pairs(
                &mut object.node,
                &["spec", "jobTemplate", "metadata", "annotations"],
                true,
                pairs,
                span,
            );
            add_pairs(
                &mut object.node,
                &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "metadata",
                    "annotations",
                ],
                true,
                pairs,
                span,
            );
        }
    }
}

/// Writes `pairs` into the map at `path`; with `create` false only an existing map is
/// changed.
fn add_pairs(node: &mut Node, path: &[&str], create: bool, pairs: &[(String, Node)], span: Span) {
    if !create && child_mut(node, path).is_none_or(|node| node.as_map().is_none()) {
        return;
    }
    if let Some(map) = ensure_map(node, path, span) {
        for (key, value) in pairs {
            map.insert(key.clone(), value.clone());
        }
    }
}

/// Sets `spec.replicas` of the scalable objects each rule names.
pub(crate) fn replicas(objects: &mut [Object], rules: &[ReplicaRule]) {
    for rule in rules {
        for object in objects.iter_mut() {
            if !SCALABLE_KINDS.contains(&object.kind()) || !object.answers_to(&rule.name) {
                continue;
            }
            if let Some(spec) = ensure_map(&mut object.node, &["spec"], rule.count.span) {
                spec.insert("replicas".to_owned(), rule.count.clone());
            }
        }
    }
}

/// Rewrites the `image` of every container, init container and ephemeral container that
/// uses an image a rule names, anywhere in the object.
pub(crate) fn images(objects: &mut [Object], rules: &[ImageRule]) {
    if rules.is_empty() {
        return;
    }
    for object in objects.iter_mut() {
        rewrite_images(&mut object.node, rules, 0);
    }
}

fn rewrite_images(node: &mut Node, rules: &[ImageRule], depth: usize) {
    // Bodies come from the YAML reader, which bounds nesting; the guard keeps this walk
    // safe for any node.
    if depth > crate::kubernetes::MAX_DEPTH {
        return;
    }
    match &mut node.value {
        Value::Map(map) => {
            for (key, value) in map.iter_mut() {
                if matches!(
                    key.as_str(),
                    "containers" | "initContainers" | "ephemeralContainers"
                ) && let Value::List(containers) = &mut value.value
                {
                    for container in containers.iter_mut() {
                        rewrite_container(container, rules);
                    }
                }
                rewrite_images(value, rules, depth + 1);
            }
        }
        Value::List(items) => {
            for item in items {
                rewrite_images(item, rules, depth + 1);
            }
        }
        _ => {}
    }
}

fn rewrite_container(container: &mut Node, rules: &[ImageRule]) {
    let Value::Map(map) = &mut container.value else {
        return;
    };
    let Some(image) = map.get_mut("image") else {
        return;
    };
    let Some(current) = image.as_str() else {
        return;
    };

    let (name, tag, digest) = split_image(current);
    let Some(rule) = rules.iter().find(|rule| rule.name == name) else {
        return;
    };

    let new_name = rule
        .new_name
        .as_ref()
        .and_then(Node::as_str)
        .unwrap_or(name);
    let new_tag = rule.new_tag.as_ref().and_then(Node::as_str);
    let new_digest = rule.digest.as_ref().and_then(Node::as_str);
    let rewritten = match (new_tag, new_digest) {
        (Some(tag), Some(digest)) => format!("{new_name}:{tag}@{digest}"),
        (None, Some(digest)) => format!("{new_name}@{digest}"),
        (Some(tag), None) => format!("{new_name}:{tag}"),
        (None, None) => {
            let mut text = new_name.to_owned();
            if let Some(tag) = tag {
                text.push(':');
                text.push_str(tag);
            }
            if let Some(digest) = digest {
                text.push('@');
                text.push_str(digest);
            }
            text
        }
    };

    // Point at the entry that decided the tag or digest, else at the new name.
    let span = rule
        .digest
        .as_ref()
        .or(rule.new_tag.as_ref())
        .or(rule.new_name.as_ref())
        .map_or(image.span, |node| node.span);
    *image = Node::new(span, Value::String(rewritten));
}

/// Splits `registry:5000/team/app:1.2@sha256:...` into its name, tag and digest.
pub(crate) fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |index| index + 1);
    match rest[slash..].rfind(':') {
        Some(colon) => (
            &rest[..slash + colon],
            Some(&rest[slash + colon + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_image_forms() {
        assert_eq!(split_image("nginx"), ("nginx", None, None));
        assert_eq!(split_image("nginx:1.25"), ("nginx", Some("1.25"), None));
        assert_eq!(
            split_image("registry.local:5000/team/app:v2"),
            ("registry.local:5000/team/app", Some("v2"), None)
        );
        assert_eq!(
            split_image("app@sha256:abc"),
            ("app", None, Some("sha256:abc"))
        );
        assert_eq!(
            split_image("registry.local:5000/app"),
            ("registry.local:5000/app", None, None)
        );
    }
}
