//! Strategic merge patches, as kustomize applies them to Kubernetes objects.
//!
//! Maps merge key by key and a `null` value deletes its key. Lists of the common pod spec
//! fields merge by their Kubernetes merge key: containers, volumes and env by `name`,
//! container ports by `containerPort`, volume mounts by `mountPath`. Other lists are
//! replaced. `$patch: delete` removes a list item, a map or the whole object, and
//! `$patch: replace` replaces instead of merging. Values taken from the patch keep the
//! patch's spans, so findings point at the line of the patch that set them.
//!
//! For kinds outside the Kubernetes API groups (custom resources), a list of maps whose
//! items all carry one of the keys kustomize's kyaml library guesses from (`mountPath`,
//! `devicePath`, `ip`, `type`, `topologyKey`, `name`, `containerPort`) merges by it.

use nexafi_model::{Map, Node, Value};

/// Result of applying a patch to its target.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Kept,
    /// The patch has `$patch: delete` at its top, so the object is removed.
    Deleted,
}

/// Keys kyaml tries, in order, to merge lists of maps that have no schema.
const GUESSED_KEYS: [&str; 7] = [
    "mountPath",
    "devicePath",
    "ip",
    "type",
    "topologyKey",
    "name",
    "containerPort",
];

/// Applies one strategic merge patch document to `target`. The patch's `apiVersion`,
/// `kind`, `metadata.name` and `metadata.namespace` only select the target: they are not
/// merged, so the object keeps its name and the spans of its base.
pub(crate) fn apply(target: &mut Node, mut patch: Node, builtin: bool) -> Outcome {
    if directive(&patch) == Some("delete") {
        return Outcome::Deleted;
    }
    if let Value::Map(map) = &mut patch.value {
        map.shift_remove("apiVersion");
        map.shift_remove("kind");
        if let Some(Node {
            value: Value::Map(metadata),
            ..
        }) = map.get_mut("metadata")
        {
            metadata.shift_remove("name");
            metadata.shift_remove("namespace");
        }
    }
    merge_node(target, patch, "", builtin);
    Outcome::Kept
}

/// Returns the `$patch` directive of a map.
fn directive(node: &Node) -> Option<&str> {
    node.get("$patch").and_then(Node::as_str)
}

fn merge_node(target: &mut Node, patch: Node, field: &str, builtin: bool) {
    let span = patch.span;
    match patch.value {
        Value::Map(patch_map) => {
            let replace = patch_map.get("$patch").and_then(Node::as_str) == Some("replace");
            match &mut target.value {
                Value::Map(target_map) if !replace => merge_map(target_map, patch_map, builtin),
                _ => *target = strip(Node::new(span, Value::Map(patch_map))),
            }
        }
        Value::List(patch_items) => match &mut target.value {
            Value::List(target_items) => merge_list(target_items, patch_items, field, builtin),
            _ => *target = strip(Node::new(span, Value::List(patch_items))),
        },
        other => *target = Node::new(span, other),
    }
}

fn merge_map(target: &mut Map, patch: Map, builtin: bool) {
    for (key, value) in patch {
        // Directives are read where they apply; `$setElementOrder` and `$retainKeys`
        // only order or prune lists and maps, which no check depends on.
        if key.starts_with('$') {
            continue;
        }
        if value.is_null() || directive(&value) == Some("delete") {
            target.shift_remove(&key);
            continue;
        }
        match target.get_mut(&key) {
            Some(existing) if !existing.is_null() => merge_node(existing, value, &key, builtin),
            _ => {
                target.insert(key, strip(value));
            }
        }
    }
}

fn merge_list(target: &mut Vec<Node>, patch: Vec<Node>, field: &str, builtin: bool) {
    if patch.iter().any(|item| directive(item) == Some("replace")) {
        *target = patch
            .into_iter()
            .filter(|item| directive(item) != Some("replace"))
            .map(strip)
            .collect();
        return;
    }
    let Some(key) = merge_key(field, target, &patch, builtin) else {
        *target = patch
            .into_iter()
            .filter(|item| directive(item) != Some("delete"))
            .map(strip)
            .collect();
        return;
    };

    for item in patch {
        let Some(wanted) = item.get(key).map(Node::to_json) else {
            if directive(&item) != Some("delete") {
                target.push(strip(item));
            }
            continue;
        };
        let position = target
            .iter()
            .position(|existing| existing.get(key).map(Node::to_json).as_ref() == Some(&wanted));
        if directive(&item) == Some("delete") {
            if let Some(position) = position {
                target.remove(position);
            }
            continue;
        }
        match position.and_then(|position| target.get_mut(position)) {
            Some(existing) => merge_node(existing, item, field, builtin),
            None => target.push(strip(item)),
        }
    }
}

/// Returns the key that list `field` merges by, or `None` when the list is replaced.
fn merge_key(field: &str, target: &[Node], patch: &[Node], builtin: bool) -> Option<&'static str> {
    let items = || target.iter().chain(patch.iter());
    let known = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates"
        | "secrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "readinessGates" => Some("conditionType"),
        // Container ports merge by `containerPort`, Service ports by `port`.
        "ports" if items().any(|item| item.get("containerPort").is_some()) => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    };
    if known.is_some() || builtin {
        return known;
    }
    GUESSED_KEYS.into_iter().find(|key| {
        let mut any = false;
        let all = items()
            .filter(|item| directive(item).is_none())
            .all(|item| {
                any = true;
                item.get(key).is_some()
            });
        any && all
    })
}

/// Removes directives and deleted entries from a value that is added without merging.
fn strip(mut node: Node) -> Node {
    match &mut node.value {
        Value::Map(map) => {
            let entries = std::mem::take(map);
            for (key, value) in entries {
                if key.starts_with('$') || value.is_null() || directive(&value) == Some("delete") {
                    continue;
                }
                map.insert(key, strip(value));
            }
        }
        Value::List(items) => {
            let entries = std::mem::take(items);
            items.extend(
                entries
                    .into_iter()
                    .filter(|item| directive(item).is_none())
                    .map(strip),
            );
        }
        _ => {}
    }
    node
}

/// Returns true for objects of the Kubernetes API, whose lists follow the API's merge keys
/// only; custom resources use kyaml's guessed keys as well.
pub(crate) fn is_builtin_group(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::yaml::read_stream;
    use nexafi_model::FileId;

    fn parse(text: &str) -> Node {
        read_stream(text, FileId(0)).documents.remove(0)
    }

    fn merged(base: &str, patch: &str) -> serde_json::Value {
        let mut target = parse(base);
        apply(&mut target, parse(patch), true);
        target.to_json()
    }

    #[test]
    fn containers_merge_by_name() {
        let result = merged(
            "spec: {containers: [{name: app, image: a}, {name: side, image: s}]}",
            "spec: {containers: [{name: app, securityContext: {privileged: true}}]}",
        );
        assert_eq!(
            result,
            serde_json::json!({"spec": {"containers": [
                {"name": "app", "image": "a", "securityContext": {"privileged": true}},
                {"name": "side", "image": "s"}
            ]}})
        );
    }

    #[test]
    fn delete_directive_removes_item() {
        let result = merged(
            "spec: {volumes: [{name: a}, {name: b}]}",
            "spec: {volumes: [{name: a, $patch: delete}]}",
        );
        assert_eq!(
            result,
            serde_json::json!({"spec": {"volumes": [{"name": "b"}]}})
        );
    }

    #[test]
    fn null_deletes_key() {
        let result = merged("a: {b: 1, c: 2}", "a: {b: null}");
        assert_eq!(result, serde_json::json!({"a": {"c": 2}}));
    }

    #[test]
    fn unkeyed_list_is_replaced() {
        let result = merged("args: [a, b]", "args: [c]");
        assert_eq!(result, serde_json::json!({"args": ["c"]}));
    }

    #[test]
    fn replace_directive_replaces_map() {
        let result = merged("a: {b: 1, c: 2}", "a: {$patch: replace, d: 3}");
        assert_eq!(result, serde_json::json!({"a": {"d": 3}}));
    }

    #[test]
    fn top_level_delete() {
        let mut target = parse("kind: Pod");
        assert_eq!(
            apply(&mut target, parse("$patch: delete"), true),
            Outcome::Deleted
        );
    }

    #[test]
    fn custom_resource_guesses_key() {
        let mut target = parse("spec: {items: [{name: a, v: 1}]}");
        apply(
            &mut target,
            parse("spec: {items: [{name: a, w: 2}]}"),
            false,
        );
        assert_eq!(
            target.to_json(),
            serde_json::json!({"spec": {"items": [{"name": "a", "v": 1, "w": 2}]}})
        );
    }
}
