//! Helpers shared by the AWS checks: the usual verdicts on one Terraform attribute.

use nexafi_model::{Evaluation, Lookup, Node, Resource, Value, format_number};

/// Returns the verdict for an attribute that is unknown offline.
pub fn unknown(path: &str, reason: &str, node_span: nexafi_model::Span) -> Evaluation {
    Evaluation::unknown(
        node_span,
        format!("`{path}` cannot be known offline: {reason}"),
    )
    .attribute(path)
}

/// Reads a boolean the way Terraform converts it: `true`, or the strings "true"/"false".
pub fn as_bool(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Bool(value) => Some(*value),
        Value::String(text) if text == "true" => Some(true),
        Value::String(text) if text == "false" => Some(false),
        _ => None,
    }
}

/// Reads a number, accepting numeric strings as Terraform does.
pub fn as_number(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Number(value) => Some(*value),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Checks that the boolean at `path` equals `expected`. `default` is the provider's value
/// when the attribute is omitted; `fix` is the sentence telling the user what to set.
pub fn bool_attribute(
    resource: &Resource,
    path: &str,
    expected: bool,
    default: bool,
    fix: &str,
) -> Evaluation {
    match resource.body.lookup(path) {
        Lookup::Unknown(unknown_value, span) => unknown(path, &unknown_value.reason, span),
        Lookup::Missing if default == expected => Evaluation::pass(
            resource.name_span,
            format!("`{path}` is omitted and defaults to {default}"),
        )
        .attribute(path),
        Lookup::Missing => Evaluation::fail(
            resource.name_span,
            format!("`{path}` is omitted and defaults to {default}; {fix}"),
        )
        .attribute(path)
        .expected(expected.to_string())
        .found("omitted"),
        Lookup::Present(node) => match as_bool(node) {
            Some(value) if value == expected => {
                Evaluation::pass(node.span, format!("`{path}` is {value}")).attribute(path)
            }
            Some(value) => Evaluation::fail(node.span, format!("`{path}` is {value}; {fix}"))
                .attribute(path)
                .expected(expected.to_string())
                .found(value.to_string()),
            None => Evaluation::fail(node.span, format!("`{path}` is not a boolean; {fix}"))
                .attribute(path)
                .expected(expected.to_string())
                .found(node.display()),
        },
    }
}

/// Checks that the number at `path` is at least `minimum`. `default` is the provider's
/// value when omitted (`None` when omission means "not configured").
pub fn number_at_least(
    resource: &Resource,
    path: &str,
    minimum: f64,
    default: Option<f64>,
    fix: &str,
) -> Evaluation {
    let expected = format!(">= {}", format_number(minimum));
    match resource.body.lookup(path) {
        Lookup::Unknown(unknown_value, span) => unknown(path, &unknown_value.reason, span),
        Lookup::Missing => match default {
            Some(value) if value >= minimum => Evaluation::pass(
                resource.name_span,
                format!(
                    "`{path}` is omitted and defaults to {}",
                    format_number(value)
                ),
            )
            .attribute(path),
            Some(value) => Evaluation::fail(
                resource.name_span,
                format!(
                    "`{path}` is omitted and defaults to {}; {fix}",
                    format_number(value)
                ),
            )
            .attribute(path)
            .expected(expected)
            .found("omitted"),
            None => Evaluation::fail(resource.name_span, format!("`{path}` is omitted; {fix}"))
                .attribute(path)
                .expected(expected)
                .found("omitted"),
        },
        Lookup::Present(node) => match as_number(node) {
            Some(value) if value >= minimum => {
                Evaluation::pass(node.span, format!("`{path}` is {}", format_number(value)))
                    .attribute(path)
            }
            _ => Evaluation::fail(node.span, format!("`{path}` is {}; {fix}", node.display()))
                .attribute(path)
                .expected(expected)
                .found(node.display()),
        },
    }
}

/// Returns the resources that the value at `path` of `resource` was computed from.
///
/// The loader records an edge for every reference, even when the value itself is unknown
/// (`aws_kms_key.k.arn` is computed by the provider). An edge counts when its attribute
/// equals `path` once list indexes are dropped from both, or when its span lies inside
/// `value_span`.
pub fn referenced_by_value<'a>(
    model: &'a nexafi_model::Model,
    resource: &'a Resource,
    path: &str,
    value_span: nexafi_model::Span,
) -> Vec<&'a Resource> {
    let wanted = path_without_indexes(path);
    let mut found: Vec<&'a Resource> = Vec::new();
    for reference in &resource.references {
        let same_path = path_without_indexes(&reference.attribute) == wanted;
        if !same_path && !span_contains(value_span, reference.span) {
            continue;
        }
        let targets = model.resources.iter().filter(|candidate| {
            candidate.group == resource.group && candidate.is_target_of(reference)
        });
        for target in targets {
            if !found.iter().any(|known| std::ptr::eq(*known, target)) {
                found.push(target);
            }
        }
    }
    found
}

/// Drops list indexes from a dotted attribute path: `rule.0.x` becomes `rule.x`.
pub fn path_without_indexes(path: &str) -> String {
    path.split('.')
        .filter(|segment| !segment.is_empty() && !segment.bytes().all(|b| b.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(".")
}

/// Returns true when `inner` lies inside the non-empty span `outer` of the same file.
pub fn span_contains(outer: nexafi_model::Span, inner: nexafi_model::Span) -> bool {
    !outer.is_empty()
        && outer.file == inner.file
        && outer.start <= inner.start
        && inner.end <= outer.end
}

/// The kind of key a KMS key attribute (`kms_key_id`, `kms_master_key_id`, `key_arn`) names.
#[derive(Clone, Debug, PartialEq)]
pub enum KmsKeyRef {
    /// The attribute is omitted, null or empty.
    Missing,
    /// A key the customer manages; the text describes it for messages.
    CustomerManaged(String),
    /// An AWS managed key such as `alias/aws/s3`, whose policy the customer cannot change.
    AwsManaged(String),
    /// The value cannot be known offline.
    Unknown {
        reason: String,
        span: nexafi_model::Span,
    },
}

/// Resource kinds whose keys the customer manages.
const CUSTOMER_KEY_KINDS: &[&str] = &[
    "aws_kms_key",
    "aws_kms_replica_key",
    "aws_kms_external_key",
    "aws_kms_replica_external_key",
];

/// Reads a KMS key attribute and classifies the key as customer managed or AWS managed.
///
/// A literal key id, key ARN or alias counts as customer managed unless it is an
/// `alias/aws/...` alias. An unknown value counts as customer managed when it was
/// computed from an `aws_kms_key` (or replica or external key) resource, or from an alias
/// or key data source whose name is known.
pub fn kms_key_ref(model: &nexafi_model::Model, resource: &Resource, path: &str) -> KmsKeyRef {
    match resource.body.lookup(path) {
        Lookup::Missing => KmsKeyRef::Missing,
        Lookup::Present(node) => match node.as_str() {
            Some(text) if text.trim().is_empty() => KmsKeyRef::Missing,
            Some(text) => classify_key_text(text),
            None => KmsKeyRef::CustomerManaged(node.display()),
        },
        Lookup::Unknown(unknown_value, span) => {
            for target in referenced_by_value(model, resource, path, span) {
                if let Some(key) = classify_key_resource(target) {
                    return key;
                }
            }
            KmsKeyRef::Unknown {
                reason: unknown_value.reason.clone(),
                span,
            }
        }
    }
}

fn classify_key_text(text: &str) -> KmsKeyRef {
    if text.contains("alias/aws/") {
        KmsKeyRef::AwsManaged(format!("{text:?}"))
    } else {
        KmsKeyRef::CustomerManaged(format!("{text:?}"))
    }
}

fn classify_key_resource(target: &Resource) -> Option<KmsKeyRef> {
    let kind = target.kind.as_str();
    if CUSTOMER_KEY_KINDS.contains(&kind) {
        return Some(KmsKeyRef::CustomerManaged(format!(
            "the key of {}",
            target.address
        )));
    }
    let name_attribute = match kind {
        "aws_kms_alias" | "data.aws_kms_alias" => "name",
        "data.aws_kms_key" => "key_id",
        _ => return None,
    };
    match target.body.lookup(name_attribute) {
        Lookup::Present(node) => match node.as_str() {
            Some(text) if text.contains("alias/aws/") => Some(KmsKeyRef::AwsManaged(format!(
                "{} ({text:?})",
                target.address
            ))),
            _ => Some(KmsKeyRef::CustomerManaged(format!(
                "the key of {}",
                target.address
            ))),
        },
        Lookup::Unknown(unknown_value, span) => Some(KmsKeyRef::Unknown {
            reason: format!(
                "`{name_attribute}` of {} is unknown: {}",
                target.address, unknown_value.reason
            ),
            span,
        }),
        Lookup::Missing => None,
    }
}

/// A string of a policy (an action, a principal, a condition value) that may be unknown
/// offline.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyTerm {
    Known(String),
    /// The reason the value is unknown.
    Unknown(String),
}

impl PolicyTerm {
    pub fn known(&self) -> Option<&str> {
        match self {
            PolicyTerm::Known(text) => Some(text),
            PolicyTerm::Unknown(_) => None,
        }
    }

    /// Returns whether the term equals `text` ignoring ASCII case; `None` when unknown.
    pub fn equals(&self, text: &str) -> Option<bool> {
        self.known().map(|known| known.eq_ignore_ascii_case(text))
    }

    /// Renders the term for messages.
    pub fn display(&self) -> String {
        match self {
            PolicyTerm::Known(text) => format!("{text:?}"),
            PolicyTerm::Unknown(reason) => format!("(unknown: {reason})"),
        }
    }
}

/// One principal of a policy statement: `{"AWS": "arn:..."}` gives kind `AWS`; the bare
/// `"Principal": "*"` gives kind and identifier `*`.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyPrincipal {
    pub kind: PolicyTerm,
    pub identifier: PolicyTerm,
}

impl PolicyPrincipal {
    /// Returns whether the principal is every AWS principal (`*`, `{"AWS": "*"}`, or an
    /// ARN with a wildcard account); `None` when unknown.
    pub fn is_everyone(&self) -> Option<bool> {
        let kind = self.kind.known();
        if kind.is_some_and(|kind| !kind.eq_ignore_ascii_case("AWS") && kind != "*") {
            return Some(false);
        }
        let identifier = self.identifier.known()?;
        let everyone =
            identifier == "*" || arn_account(identifier).is_some_and(|a| a.contains('*'));
        match kind {
            Some(_) => Some(everyone),
            None if everyone => None,
            None => Some(false),
        }
    }
}

/// Returns the account field of an ARN (`arn:aws:iam::123456789012:root`).
fn arn_account(arn: &str) -> Option<&str> {
    let mut fields = arn.split(':');
    (fields.next()? == "arn").then_some(())?;
    fields.nth(3)
}

/// One condition of a policy statement, flattened: `{"Bool": {"aws:SecureTransport":
/// "false"}}` becomes operator `Bool`, key `aws:SecureTransport`, values `["false"]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyCondition {
    pub operator: PolicyTerm,
    pub key: PolicyTerm,
    pub values: Vec<PolicyTerm>,
}

/// One statement of an IAM policy, key policy or bucket policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyStatement {
    pub sid: Option<String>,
    /// `Allow` or `Deny`; policy documents default to `Allow`.
    pub effect: PolicyTerm,
    /// `None` when the statement has no `Principal` element (identity policies).
    pub principals: Option<Vec<PolicyPrincipal>>,
    pub not_principals: Option<Vec<PolicyPrincipal>>,
    pub actions: Vec<PolicyTerm>,
    pub not_actions: Vec<PolicyTerm>,
    pub resources: Vec<PolicyTerm>,
    pub not_resources: Vec<PolicyTerm>,
    pub conditions: Vec<PolicyCondition>,
    /// The statement block, or the whole policy value when it came from a JSON string.
    pub span: nexafi_model::Span,
}

impl PolicyStatement {
    /// Returns whether the effect is `effect`; `None` when unknown.
    pub fn has_effect(&self, effect: &str) -> Option<bool> {
        self.effect.equals(effect)
    }

    /// Returns whether the statement applies to every AWS principal: a wildcard
    /// `Principal`, or any `NotPrincipal` (which names the few it leaves out). `None`
    /// when unknown; `Some(false)` for statements without either element.
    pub fn applies_to_everyone(&self) -> Option<bool> {
        if self.not_principals.is_some() {
            return Some(true);
        }
        let principals = self.principals.as_ref()?;
        any_of(principals.iter().map(PolicyPrincipal::is_everyone))
    }

    /// Returns whether the statement covers every action of `service` (`kms`, `s3`):
    /// an `Action` pattern such as `*`, `kms:*` or `*:*`, or a `NotAction` element.
    /// `None` when unknown.
    pub fn covers_every_action(&self, service: &str) -> Option<bool> {
        if !self.not_actions.is_empty() {
            return Some(true);
        }
        let prefix = format!("{service}:");
        any_of(self.actions.iter().map(|action| {
            action
                .known()
                .map(|pattern| pattern.ends_with('*') && wildcard_match(pattern, &prefix))
        }))
    }
}

impl Default for PolicyStatement {
    fn default() -> Self {
        Self {
            sid: None,
            effect: PolicyTerm::Known("Allow".to_owned()),
            principals: None,
            not_principals: None,
            actions: Vec::new(),
            not_actions: Vec::new(),
            resources: Vec::new(),
            not_resources: Vec::new(),
            conditions: Vec::new(),
            span: nexafi_model::Span::default(),
        }
    }
}

/// Folds three-state answers: true when one is true, unknown when none is true but one
/// is unknown, false otherwise.
pub fn any_of(answers: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(false);
    for answer in answers {
        match answer {
            Some(true) => return Some(true),
            None => result = None,
            Some(false) => {}
        }
    }
    result
}

/// Folds three-state answers: false when one is false, unknown when none is false but
/// one is unknown, true otherwise.
pub fn all_of(answers: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(true);
    for answer in answers {
        match answer {
            Some(false) => return Some(false),
            None => result = None,
            Some(true) => {}
        }
    }
    result
}

/// Matches IAM wildcards, ignoring ASCII case: `*` is any run of characters and `?` is
/// one character.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let text: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// A policy read from a resource attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub statements: Vec<PolicyStatement>,
    /// Parts that could not be read offline (a statement list from an unknown variable,
    /// a `source_policy_documents` entry), with the reason and where they are. A check
    /// that finds no deciding statement returns unknown while this is not empty.
    pub unknown_parts: Vec<(String, nexafi_model::Span)>,
}

/// What [`read_policy`] found at an attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyLookup {
    /// The attribute is omitted, null or an empty string.
    Missing,
    /// The whole policy is unknown offline.
    Unknown {
        reason: String,
        span: nexafi_model::Span,
    },
    /// The value is not a policy: invalid JSON, or JSON without `Statement`.
    Invalid {
        message: String,
        span: nexafi_model::Span,
    },
    Present(Policy),
}

/// How deep `source_policy_documents` chains are followed; real code uses one or two
/// levels, and the limit stops reference cycles.
const MAX_POLICY_DOCUMENT_DEPTH: usize = 4;

/// Reads the policy at `path` of `resource` in any form Terraform code gives it: a
/// `jsonencode(...)` value kept as a map, a JSON string, or a reference to a
/// `data.aws_iam_policy_document` whose `statement` blocks are read through the
/// reference edge (with its `source_policy_documents` and `override_policy_documents`).
///
/// NOTE: statements of override documents are added to the others rather than replacing
/// statements with the same `sid`, so a check may see a statement that Terraform would
/// have dropped.
pub fn read_policy(model: &nexafi_model::Model, resource: &Resource, path: &str) -> PolicyLookup {
    read_policy_at_depth(model, resource, path, 0)
}

fn read_policy_at_depth(
    model: &nexafi_model::Model,
    resource: &Resource,
    path: &str,
    depth: usize,
) -> PolicyLookup {
    match resource.body.lookup(path) {
        Lookup::Missing => PolicyLookup::Missing,
        Lookup::Present(node) => read_policy_value(node),
        Lookup::Unknown(unknown_value, span) => {
            let documents: Vec<&Resource> = referenced_by_value(model, resource, path, span)
                .into_iter()
                .filter(|target| target.kind == POLICY_DOCUMENT_KIND)
                .collect();
            if documents.is_empty() || depth >= MAX_POLICY_DOCUMENT_DEPTH {
                return PolicyLookup::Unknown {
                    reason: unknown_value.reason.clone(),
                    span,
                };
            }
            let mut policy = Policy {
                statements: Vec::new(),
                unknown_parts: Vec::new(),
            };
            for document in documents {
                read_policy_document(model, document, depth, &mut policy);
            }
            PolicyLookup::Present(policy)
        }
    }
}

const POLICY_DOCUMENT_KIND: &str = "data.aws_iam_policy_document";

/// Reads a policy given as a string of JSON or as a map (a `jsonencode` argument).
fn read_policy_value(node: &Node) -> PolicyLookup {
    match &node.value {
        Value::String(text) if text.trim().is_empty() => PolicyLookup::Missing,
        Value::String(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) => read_policy_json(&json_to_node(&json, node.span), node.span),
            Err(error) => PolicyLookup::Invalid {
                message: format!("the policy is not valid JSON: {error}"),
                span: node.span,
            },
        },
        Value::Map(_) => read_policy_json(node, node.span),
        _ => PolicyLookup::Invalid {
            message: format!(
                "the policy is neither a JSON string nor an object: found {}",
                node.display()
            ),
            span: node.span,
        },
    }
}

fn read_policy_json(document: &Node, span: nexafi_model::Span) -> PolicyLookup {
    let Some(statement) = get_ignore_case(document, "Statement") else {
        return PolicyLookup::Invalid {
            message: "the policy has no `Statement` element".to_owned(),
            span,
        };
    };
    let mut policy = Policy {
        statements: Vec::new(),
        unknown_parts: Vec::new(),
    };
    let items: Vec<&Node> = match &statement.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![statement],
    };
    for item in items {
        match &item.value {
            Value::Unknown(unknown_value) => policy
                .unknown_parts
                .push((unknown_value.reason.clone(), item.span)),
            Value::Map(_) => policy.statements.push(json_statement(item)),
            Value::Null => {}
            _ => policy.unknown_parts.push((
                format!("a statement is not an object: {}", item.display()),
                item.span,
            )),
        }
    }
    PolicyLookup::Present(policy)
}

fn json_statement(node: &Node) -> PolicyStatement {
    let field = |name: &str| get_ignore_case(node, name);
    let principals = |name: &str| field(name).map(json_principals);
    PolicyStatement {
        sid: field("Sid").and_then(Node::as_str).map(str::to_owned),
        effect: field("Effect").map_or(PolicyTerm::Known("Allow".to_owned()), term),
        principals: principals("Principal"),
        not_principals: principals("NotPrincipal"),
        actions: field("Action").map(terms).unwrap_or_default(),
        not_actions: field("NotAction").map(terms).unwrap_or_default(),
        resources: field("Resource").map(terms).unwrap_or_default(),
        not_resources: field("NotResource").map(terms).unwrap_or_default(),
        conditions: field("Condition").map(json_conditions).unwrap_or_default(),
        span: node.span,
    }
}

fn json_principals(node: &Node) -> Vec<PolicyPrincipal> {
    match &node.value {
        Value::Map(map) => map
            .iter()
            .flat_map(|(kind, identifiers)| {
                terms(identifiers)
                    .into_iter()
                    .map(move |identifier| PolicyPrincipal {
                        kind: PolicyTerm::Known(kind.clone()),
                        identifier,
                    })
            })
            .collect(),
        Value::Unknown(unknown_value) => vec![PolicyPrincipal {
            kind: PolicyTerm::Unknown(unknown_value.reason.clone()),
            identifier: PolicyTerm::Unknown(unknown_value.reason.clone()),
        }],
        _ => terms(node)
            .into_iter()
            .map(|identifier| PolicyPrincipal {
                kind: PolicyTerm::Known("*".to_owned()),
                identifier,
            })
            .collect(),
    }
}

fn json_conditions(node: &Node) -> Vec<PolicyCondition> {
    let unknown_condition = |reason: &str| PolicyCondition {
        operator: PolicyTerm::Unknown(reason.to_owned()),
        key: PolicyTerm::Unknown(reason.to_owned()),
        values: vec![PolicyTerm::Unknown(reason.to_owned())],
    };
    match &node.value {
        Value::Unknown(unknown_value) => vec![unknown_condition(&unknown_value.reason)],
        Value::Map(operators) => {
            let mut conditions = Vec::new();
            for (operator, keys) in operators {
                match &keys.value {
                    Value::Map(keys) => {
                        for (key, values) in keys {
                            conditions.push(PolicyCondition {
                                operator: PolicyTerm::Known(operator.clone()),
                                key: PolicyTerm::Known(key.clone()),
                                values: terms(values),
                            });
                        }
                    }
                    Value::Unknown(unknown_value) => conditions.push(PolicyCondition {
                        operator: PolicyTerm::Known(operator.clone()),
                        ..unknown_condition(&unknown_value.reason)
                    }),
                    _ => {}
                }
            }
            conditions
        }
        _ => Vec::new(),
    }
}

/// Reads the `statement` blocks of a `data.aws_iam_policy_document`, and the documents
/// it merges, into `policy`.
fn read_policy_document(
    model: &nexafi_model::Model,
    document: &Resource,
    depth: usize,
    policy: &mut Policy,
) {
    match document.body.get("statement").map(|node| &node.value) {
        Some(Value::Unknown(unknown_value)) => policy.unknown_parts.push((
            unknown_value.reason.clone(),
            document
                .body
                .get("statement")
                .map_or(document.span, |node| node.span),
        )),
        _ => {
            for block in document.body.blocks("statement") {
                match &block.value {
                    Value::Unknown(unknown_value) => policy
                        .unknown_parts
                        .push((unknown_value.reason.clone(), block.span)),
                    _ => policy.statements.push(document_statement(block)),
                }
            }
        }
    }

    for attribute in [
        "source_policy_documents",
        "override_policy_documents",
        "source_json",
        "override_json",
    ] {
        let Some(node) = document.body.get(attribute) else {
            continue;
        };
        let entries: Vec<(String, &Node)> = match &node.value {
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (format!("{attribute}.{index}"), item))
                .collect(),
            _ => vec![(attribute.to_owned(), node)],
        };
        for (path, entry) in entries {
            merge_policy(
                read_merged_document(model, document, &path, entry, depth),
                policy,
            );
        }
    }
}

fn read_merged_document(
    model: &nexafi_model::Model,
    document: &Resource,
    path: &str,
    entry: &Node,
    depth: usize,
) -> PolicyLookup {
    match &entry.value {
        Value::Null => PolicyLookup::Missing,
        Value::Unknown(unknown_value) => {
            let targets: Vec<&Resource> = referenced_by_value(model, document, path, entry.span)
                .into_iter()
                .filter(|target| target.kind == POLICY_DOCUMENT_KIND)
                .collect();
            if targets.is_empty() || depth + 1 >= MAX_POLICY_DOCUMENT_DEPTH {
                return PolicyLookup::Unknown {
                    reason: unknown_value.reason.clone(),
                    span: entry.span,
                };
            }
            let mut merged = Policy {
                statements: Vec::new(),
                unknown_parts: Vec::new(),
            };
            for target in targets {
                read_policy_document(model, target, depth + 1, &mut merged);
            }
            PolicyLookup::Present(merged)
        }
        _ => read_policy_value(entry),
    }
}

fn merge_policy(found: PolicyLookup, policy: &mut Policy) {
    match found {
        PolicyLookup::Missing => {}
        PolicyLookup::Unknown { reason, span } => policy.unknown_parts.push((reason, span)),
        PolicyLookup::Invalid { message, span } => policy.unknown_parts.push((message, span)),
        PolicyLookup::Present(merged) => {
            policy.statements.extend(merged.statements);
            policy.unknown_parts.extend(merged.unknown_parts);
        }
    }
}

fn document_statement(block: &Node) -> PolicyStatement {
    let list = |name: &str| block.get(name).map(terms).unwrap_or_default();
    let principals = |name: &str| {
        let blocks = block.blocks(name);
        if blocks.is_empty() {
            return block
                .get(name)
                .and_then(Node::as_unknown)
                .map(|unknown_value| {
                    vec![PolicyPrincipal {
                        kind: PolicyTerm::Unknown(unknown_value.reason.clone()),
                        identifier: PolicyTerm::Unknown(unknown_value.reason.clone()),
                    }]
                });
        }
        let mut found = Vec::new();
        for principal in blocks {
            if let Some(unknown_value) = principal.as_unknown() {
                let reason = unknown_value.reason.clone();
                found.push(PolicyPrincipal {
                    kind: PolicyTerm::Unknown(reason.clone()),
                    identifier: PolicyTerm::Unknown(reason),
                });
                continue;
            }
            let kind = principal.get("type").map_or(
                PolicyTerm::Unknown("the principal has no `type`".to_owned()),
                term,
            );
            for identifier in principal.get("identifiers").map(terms).unwrap_or_default() {
                found.push(PolicyPrincipal {
                    kind: kind.clone(),
                    identifier,
                });
            }
        }
        Some(found)
    };

    let mut conditions = Vec::new();
    match block.get("condition").and_then(Node::as_unknown) {
        Some(unknown_value) => conditions.push(PolicyCondition {
            operator: PolicyTerm::Unknown(unknown_value.reason.clone()),
            key: PolicyTerm::Unknown(unknown_value.reason.clone()),
            values: vec![PolicyTerm::Unknown(unknown_value.reason.clone())],
        }),
        None => {
            for condition in block.blocks("condition") {
                let field = |name: &str| {
                    condition.get(name).map_or(
                        PolicyTerm::Unknown(format!("the condition has no `{name}`")),
                        term,
                    )
                };
                conditions.push(PolicyCondition {
                    operator: field("test"),
                    key: field("variable"),
                    values: condition.get("values").map(terms).unwrap_or_default(),
                });
            }
        }
    }

    PolicyStatement {
        sid: block.get("sid").and_then(Node::as_str).map(str::to_owned),
        effect: block
            .get("effect")
            .filter(|node| !node.is_null())
            .map_or(PolicyTerm::Known("Allow".to_owned()), term),
        principals: principals("principals"),
        not_principals: principals("not_principals"),
        actions: list("actions"),
        not_actions: list("not_actions"),
        resources: list("resources"),
        not_resources: list("not_resources"),
        conditions,
        span: block.span,
    }
}

/// Reads one policy string; numbers and booleans keep their JSON spelling.
fn term(node: &Node) -> PolicyTerm {
    match &node.value {
        Value::String(text) => PolicyTerm::Known(text.clone()),
        Value::Bool(value) => PolicyTerm::Known(value.to_string()),
        Value::Number(value) => PolicyTerm::Known(format_number(*value)),
        Value::Unknown(unknown_value) => PolicyTerm::Unknown(unknown_value.reason.clone()),
        _ => PolicyTerm::Known(node.display()),
    }
}

/// Reads a policy element that is one string or a list of them.
fn terms(node: &Node) -> Vec<PolicyTerm> {
    match &node.value {
        Value::Null => Vec::new(),
        Value::List(items) => items
            .iter()
            .filter(|item| !item.is_null())
            .map(term)
            .collect(),
        _ => vec![term(node)],
    }
}

/// Returns the child `key` of a map, ignoring ASCII case as IAM does for element names.
fn get_ignore_case<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    let map = node.as_map()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value)
    })
}

/// Converts parsed JSON into a node tree whose every value points at `span`, the JSON
/// string it came from.
fn json_to_node(json: &serde_json::Value, span: nexafi_model::Span) -> Node {
    let value = match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(value) => Value::Bool(*value),
        serde_json::Value::Number(number) => Value::Number(number.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(text) => Value::String(text.clone()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(|item| json_to_node(item, span)).collect())
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(key, item)| (key.clone(), json_to_node(item, span)))
                .collect(),
        ),
    };
    Node::new(span, value)
}
