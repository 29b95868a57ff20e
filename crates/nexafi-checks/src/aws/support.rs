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
    let expected_path = path_without_indexes(path);
    let mut found: Vec<&'a Resource> = Vec::new();
    for reference in &resource.references {
        let same_path = path_without_indexes(&reference.attribute) == expected_path;
        if !same_path && !span_contains(value_span, reference.span) {
            continue;
        }
        // The kind index keeps this lookup off a scan of every resource of the model.
        let kind = target_kind(&reference.target);
        let targets = model.by_kind(&kind).filter(|candidate| {
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

/// Returns the resource kind an address names: `module.m.aws_kms_key.k[0]` gives
/// `aws_kms_key`, and `data.aws_kms_alias.a` gives `data.aws_kms_alias`.
fn target_kind(address: &str) -> String {
    let segments: Vec<&str> = nexafi_model::strip_instance_key(address)
        .split('.')
        .collect();
    let count = segments.len();
    match count {
        0 | 1 => String::new(),
        _ if count >= 3 && segments[count - 3] == "data" => {
            format!("data.{}", segments[count - 2])
        }
        _ => segments[count - 2].to_owned(),
    }
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
    /// A string template whose interpolations are unknown but whose literal text is
    /// known: `"arn:aws:iam::${local.account}:root"` has the pattern
    /// `arn:aws:iam::*:root`, where each `*` stands for an unknown part.
    Partial {
        reason: String,
        pattern: String,
    },
}

impl PolicyTerm {
    pub fn known(&self) -> Option<&str> {
        match self {
            PolicyTerm::Known(text) => Some(text),
            PolicyTerm::Unknown(_) | PolicyTerm::Partial { .. } => None,
        }
    }

    /// Returns whether the term equals `text` ignoring ASCII case; `None` when unknown,
    /// and `Some(false)` for a template whose known text rules `text` out.
    pub fn equals(&self, text: &str) -> Option<bool> {
        match self {
            PolicyTerm::Known(known) => Some(known.eq_ignore_ascii_case(text)),
            PolicyTerm::Unknown(_) => None,
            PolicyTerm::Partial { pattern, .. } => {
                (!wildcard_match(pattern, text)).then_some(false)
            }
        }
    }

    /// Returns whether the term, used as an IAM pattern, ends in a wildcard; `None` when
    /// unknown.
    pub fn ends_with_wildcard(&self) -> Option<bool> {
        match self {
            PolicyTerm::Known(known) => Some(known.ends_with('*')),
            PolicyTerm::Unknown(_) => None,
            PolicyTerm::Partial { pattern, .. } => (!pattern.ends_with('*')).then_some(false),
        }
    }

    /// Renders the term for messages.
    pub fn display(&self) -> String {
        match self {
            PolicyTerm::Known(text) => format!("{text:?}"),
            PolicyTerm::Unknown(reason) | PolicyTerm::Partial { reason, .. } => {
                format!("(unknown: {reason})")
            }
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
    /// Returns whether the principal is every AWS principal: `"*"` or `{"AWS": "*"}`.
    /// IAM accepts a wildcard only as the whole identifier, so `arn:aws:iam::*:root` is
    /// not one. `None` when unknown.
    pub fn is_everyone(&self) -> Option<bool> {
        let kind_is_aws = self
            .kind
            .known()
            .map(|kind| kind.eq_ignore_ascii_case("AWS") || kind == "*");
        all_of([kind_is_aws, self.identifier.equals("*")])
    }
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
        any_of(self.actions.iter().map(|action| match action {
            PolicyTerm::Known(pattern) => {
                Some(pattern.ends_with('*') && wildcard_match(pattern, &prefix))
            }
            _ => action.ends_with_wildcard().and(None),
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

/// Folds three-state results: true when one is true, unknown when none is true but one
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

/// Folds three-state results: false when one is false, unknown when none is false but
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

/// Result of [`read_policy`] for one attribute.
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

/// Maximum depth of the `source_policy_documents` chains that are followed. Real code uses
/// one or two levels, and the limit stops reference cycles.
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
        Lookup::Present(node) => read_policy_value(&model.sources, node),
        // NOTE: jsonencode() of a value with a computed leaf (a bucket ARN) arrives here as
        // one unknown, so its statements cannot be judged until the loader keeps the
        // structure of such arguments.
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
fn read_policy_value(sources: &nexafi_model::SourceMap, node: &Node) -> PolicyLookup {
    match &node.value {
        Value::String(text) if text.trim().is_empty() => PolicyLookup::Missing,
        Value::String(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) => read_policy_json(sources, &json_to_node(&json, node.span), node.span),
            Err(error) => PolicyLookup::Invalid {
                message: format!("the policy is not valid JSON: {error}"),
                span: node.span,
            },
        },
        Value::Map(_) => read_policy_json(sources, node, node.span),
        _ => PolicyLookup::Invalid {
            message: format!(
                "the policy is neither a JSON string nor an object: found {}",
                node.display()
            ),
            span: node.span,
        },
    }
}

fn read_policy_json(
    sources: &nexafi_model::SourceMap,
    document: &Node,
    span: nexafi_model::Span,
) -> PolicyLookup {
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
            Value::Map(_) => policy.statements.push(json_statement(sources, item)),
            Value::Null => {}
            _ => policy.unknown_parts.push((
                format!("a statement is not an object: {}", item.display()),
                item.span,
            )),
        }
    }
    PolicyLookup::Present(policy)
}

fn json_statement(sources: &nexafi_model::SourceMap, node: &Node) -> PolicyStatement {
    let field = |name: &str| get_ignore_case(node, name);
    let list = |name: &str| {
        field(name)
            .map(|value| terms(sources, value))
            .unwrap_or_default()
    };
    let principals = |name: &str| field(name).map(|value| json_principals(sources, value));
    PolicyStatement {
        sid: field("Sid").and_then(Node::as_str).map(str::to_owned),
        effect: field("Effect").map_or(PolicyTerm::Known("Allow".to_owned()), |value| {
            term(sources, value)
        }),
        principals: principals("Principal"),
        not_principals: principals("NotPrincipal"),
        actions: list("Action"),
        not_actions: list("NotAction"),
        resources: list("Resource"),
        not_resources: list("NotResource"),
        conditions: field("Condition")
            .map(|value| json_conditions(sources, value))
            .unwrap_or_default(),
        span: node.span,
    }
}

fn json_principals(sources: &nexafi_model::SourceMap, node: &Node) -> Vec<PolicyPrincipal> {
    match &node.value {
        Value::Map(map) => map
            .iter()
            .flat_map(|(kind, identifiers)| {
                terms(sources, identifiers)
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
        _ => terms(sources, node)
            .into_iter()
            .map(|identifier| PolicyPrincipal {
                kind: PolicyTerm::Known("*".to_owned()),
                identifier,
            })
            .collect(),
    }
}

fn json_conditions(sources: &nexafi_model::SourceMap, node: &Node) -> Vec<PolicyCondition> {
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
                                values: terms(sources, values),
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
                    _ => policy
                        .statements
                        .push(document_statement(&model.sources, block)),
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
        _ => read_policy_value(&model.sources, entry),
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

fn document_statement(sources: &nexafi_model::SourceMap, block: &Node) -> PolicyStatement {
    let list = |name: &str| {
        block
            .get(name)
            .map(|value| terms(sources, value))
            .unwrap_or_default()
    };
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
                |value| term(sources, value),
            );
            let identifiers = principal
                .get("identifiers")
                .map(|value| terms(sources, value))
                .unwrap_or_default();
            for identifier in identifiers {
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
                        |value| term(sources, value),
                    )
                };
                conditions.push(PolicyCondition {
                    operator: field("test"),
                    key: field("variable"),
                    values: condition
                        .get("values")
                        .map(|value| terms(sources, value))
                        .unwrap_or_default(),
                });
            }
        }
    }

    PolicyStatement {
        sid: block.get("sid").and_then(Node::as_str).map(str::to_owned),
        effect: block
            .get("effect")
            .filter(|node| !node.is_null())
            .map_or(PolicyTerm::Known("Allow".to_owned()), |value| {
                term(sources, value)
            }),
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

/// Reads one policy string; numbers and booleans keep their JSON spelling. An unknown
/// string template keeps its known text as a pattern.
fn term(sources: &nexafi_model::SourceMap, node: &Node) -> PolicyTerm {
    match &node.value {
        Value::String(text) => PolicyTerm::Known(text.clone()),
        Value::Bool(value) => PolicyTerm::Known(value.to_string()),
        Value::Number(value) => PolicyTerm::Known(format_number(*value)),
        Value::Unknown(unknown_value) => {
            let source = sources.get(node.span.file);
            let pattern = source.and_then(|file| template_pattern(file.slice(node.span)));
            match pattern {
                Some(pattern) => PolicyTerm::Partial {
                    reason: unknown_value.reason.clone(),
                    pattern,
                },
                None => PolicyTerm::Unknown(unknown_value.reason.clone()),
            }
        }
        _ => PolicyTerm::Known(node.display()),
    }
}

/// Reads a policy element that is one string or a list of them.
fn terms(sources: &nexafi_model::SourceMap, node: &Node) -> Vec<PolicyTerm> {
    match &node.value {
        Value::Null => Vec::new(),
        Value::List(items) => items
            .iter()
            .filter(|item| !item.is_null())
            .map(|item| term(sources, item))
            .collect(),
        _ => vec![term(sources, node)],
    }
}

/// Turns the source text of a quoted HCL template into an IAM pattern: literal text is
/// kept and each `${...}` interpolation becomes `*`. Returns `None` for anything else
/// (a bare reference, a heredoc, a `%{...}` directive), and also for a template with no
/// literal text, which carries no information.
pub fn template_pattern(source: &str) -> Option<String> {
    let inner = source.trim().strip_prefix('"')?.strip_suffix('"')?;
    let chars: Vec<char> = inner.chars().collect();
    let mut pattern = String::new();
    let mut index = 0;
    while let Some(&c) = chars.get(index) {
        let next = chars.get(index + 1).copied();
        let after_next = chars.get(index + 2).copied();
        match (c, next) {
            // An escape stands for one or more characters: keep it open.
            ('\\', _) => {
                pattern.push('*');
                index += 2;
            }
            // `$${` and `%%{` are the escapes for a literal `${` and `%{`.
            ('$' | '%', Some(second)) if second == c && after_next == Some('{') => {
                pattern.push(c);
                pattern.push('{');
                index += 3;
            }
            ('%', Some('{')) => return None,
            ('$', Some('{')) => {
                index = interpolation_end(&chars, index + 1)?;
                pattern.push('*');
            }
            _ => {
                pattern.push(c);
                index += 1;
            }
        }
    }
    pattern.chars().any(|c| c != '*').then_some(pattern)
}

/// Returns the index after the `}` that closes the brace at `open`, skipping nested
/// braces and quoted strings.
fn interpolation_end(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut index = open;
    while let Some(&c) = chars.get(index) {
        match c {
            '\\' if in_string => index += 1,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index + 1);
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
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

/// One nested Terraform block as a check meets it: a map of attributes, or a `dynamic`
/// block whose `for_each` could not be expanded offline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BlockItem<'a> {
    Known(&'a Node),
    Unknown(&'a nexafi_model::Unknown, nexafi_model::Span),
}

/// Returns the nested blocks `name` of `node`, keeping unknown `dynamic` blocks, which
/// [`Node::blocks`] drops. The loader stores an unexpanded `dynamic` block either as the
/// whole attribute or as one element of the block list.
pub fn block_items<'a>(node: &'a Node, name: &str) -> Vec<BlockItem<'a>> {
    let Some(child) = node.get(name) else {
        return Vec::new();
    };
    let item = |node: &'a Node| match &node.value {
        Value::Map(_) => Some(BlockItem::Known(node)),
        Value::Unknown(unknown_value) => Some(BlockItem::Unknown(unknown_value, node.span)),
        _ => None,
    };
    match &child.value {
        Value::List(items) => items.iter().filter_map(item).collect(),
        _ => item(child).into_iter().collect(),
    }
}

/// Returns true when the root module of `root` (a `terraform_root` resource) manages at
/// least one AWS resource: a resource, not a data source, whose type starts with `aws_`.
pub fn root_manages_aws(model: &nexafi_model::Model, root: &Resource) -> bool {
    model.resources.iter().any(|resource| {
        resource.group == root.group
            && resource.input == nexafi_model::InputKind::Terraform
            && resource.kind.starts_with("aws_")
    })
}

/// Reads the statements of a `data.aws_iam_policy_document` itself, with the documents it
/// merges through `source_policy_documents` and `override_policy_documents`.
pub fn read_policy_document_resource(model: &nexafi_model::Model, document: &Resource) -> Policy {
    let mut policy = Policy {
        statements: Vec::new(),
        unknown_parts: Vec::new(),
    };
    read_policy_document(model, document, 0, &mut policy);
    policy
}

/// The state of an account-wide service (GuardDuty, AWS Config) in the resources of one
/// group, as a check on `terraform_root` judges it.
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceState {
    /// The service is on; the message names the resources that turn it on.
    On(String),
    /// The service is configured but off: the failing evaluation to report.
    Off(Evaluation),
    /// Whether the service is on cannot be known offline.
    Unknown(Evaluation),
    /// The group configures nothing of the service.
    Absent,
}

/// Evaluates an account-wide service for the root module `root` (a `terraform_root`
/// resource). Such services usually live in one root module of the scan, so a root whose
/// own group has nothing of the service passes when another scanned root turns it on.
///
/// Roots that manage no AWS resource are skipped. `judge` returns the state of one group;
/// `missing` is the failure message when no scanned root configures the service.
pub fn account_service(
    model: &nexafi_model::Model,
    root: &Resource,
    attribute: &str,
    missing: &str,
    judge: impl Fn(&str) -> ServiceState,
) -> Vec<Evaluation> {
    if !root_manages_aws(model, root) {
        return Vec::new();
    }
    match judge(&root.group) {
        ServiceState::On(message) => {
            return vec![Evaluation::pass(root.name_span, message).attribute(attribute)];
        }
        ServiceState::Off(evaluation) | ServiceState::Unknown(evaluation) => {
            return vec![evaluation];
        }
        ServiceState::Absent => {}
    }

    let mut unknown_elsewhere = None;
    for other in model.by_kind(nexafi_model::TERRAFORM_ROOT_KIND) {
        if other.group == root.group {
            continue;
        }
        match judge(&other.group) {
            ServiceState::On(message) => {
                let message = format!("root module {} turns it on: {message}", other.group);
                return vec![Evaluation::pass(root.name_span, message).attribute(attribute)];
            }
            ServiceState::Unknown(evaluation) if unknown_elsewhere.is_none() => {
                let message = format!(
                    "this root module configures nothing of it, and in root module {}: {}",
                    other.group, evaluation.message
                );
                unknown_elsewhere = Some(Evaluation {
                    message,
                    ..evaluation
                });
            }
            _ => {}
        }
    }
    match unknown_elsewhere {
        Some(evaluation) => vec![evaluation],
        None => vec![
            Evaluation::fail(root.name_span, missing)
                .attribute(attribute)
                .expected("configured in this or another scanned root module")
                .found("missing"),
        ],
    }
}

/// Returns true for a CIDR range with prefix length 0, which matches every address:
/// `0.0.0.0/0`, `::/0`, or any address written with `/0`.
pub fn is_open_cidr(cidr: &str) -> bool {
    cidr.trim()
        .split_once('/')
        .is_some_and(|(_, prefix)| prefix.trim().parse::<u8>() == Ok(0))
}

/// Returns the distinct reasons why parts of `statement` are unknown offline, for the
/// message of an unknown verdict.
pub fn statement_unknown_reasons(statement: &PolicyStatement) -> Vec<String> {
    let principals = [&statement.principals, &statement.not_principals]
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|principal| [&principal.kind, &principal.identifier]);
    let conditions = statement.conditions.iter().flat_map(|condition| {
        [&condition.operator, &condition.key]
            .into_iter()
            .chain(condition.values.iter())
    });
    let terms = std::iter::once(&statement.effect)
        .chain(principals)
        .chain(statement.actions.iter())
        .chain(statement.not_actions.iter())
        .chain(statement.resources.iter())
        .chain(statement.not_resources.iter())
        .chain(conditions);

    let mut reasons: Vec<String> = Vec::new();
    for term in terms {
        if let PolicyTerm::Unknown(reason) | PolicyTerm::Partial { reason, .. } = term
            && !reasons.contains(reason)
        {
            reasons.push(reason.clone());
        }
    }
    reasons
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    #[test]
    fn wildcard_match_cases() {
        let cases = [
            ("kms:*", "kms:", true),
            ("kms:*", "KMS:Decrypt", true),
            ("*", "s3:GetObject", true),
            ("*:*", "kms:", true),
            ("kms:Decrypt", "kms:decrypt", true),
            ("kms:D*", "kms:", false),
            ("s3:Get?bject", "s3:GetObject", true),
            ("s3:Get?bject", "s3:GetObjects", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern:?} against {text:?}"
            );
        }
    }

    #[test]
    fn template_pattern_cases() {
        let cases = [
            (
                r#""arn:aws:iam::${data.aws_caller_identity.current.account_id}:root""#,
                Some("arn:aws:iam::*:root"),
            ),
            (r#""${aws_s3_bucket.b.arn}/*""#, Some("*/*")),
            (r#""${var.principal}""#, None),
            (r#""${lookup({"a" = "}"}, "a")}x""#, Some("*x")),
            (r#""$${literal}""#, Some("${literal}")),
            (r#""%{if var.x}a%{endif}""#, None),
            ("var.principal", None),
            (r#""${unclosed""#, None),
        ];
        for (source, expected) in cases {
            assert_eq!(
                template_pattern(source).as_deref(),
                expected,
                "template {source}"
            );
        }
    }

    #[test]
    fn partial_term_rules_out_wildcard() {
        let term = PolicyTerm::Partial {
            reason: "computed".to_owned(),
            pattern: "arn:aws:iam::*:root".to_owned(),
        };
        assert_eq!(term.equals("*"), Some(false));
        assert_eq!(term.equals("arn:aws:iam::111122223333:root"), None);
    }

    #[test]
    fn principal_everyone_forms() {
        let known = |text: &str| PolicyTerm::Known(text.to_owned());
        let principal =
            |kind: PolicyTerm, identifier: PolicyTerm| PolicyPrincipal { kind, identifier };
        assert_eq!(principal(known("*"), known("*")).is_everyone(), Some(true));
        assert_eq!(
            principal(known("AWS"), known("*")).is_everyone(),
            Some(true)
        );
        assert_eq!(
            principal(known("Service"), known("*")).is_everyone(),
            Some(false)
        );
        assert_eq!(
            principal(known("AWS"), known("arn:aws:iam::*:root")).is_everyone(),
            Some(false)
        );
        assert_eq!(
            principal(known("AWS"), PolicyTerm::Unknown("x".to_owned())).is_everyone(),
            None
        );
    }

    #[test]
    fn json_policy_reads_statements() {
        let sources = nexafi_model::SourceMap::new();
        let text = r#"{"Statement": {"Effect": "Deny", "Principal": {"AWS": ["*"]},
            "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Bool": {"aws:SecureTransport": false}}}}"#;
        let node = Node::new(
            nexafi_model::Span::default(),
            Value::String(text.to_owned()),
        );
        let PolicyLookup::Present(policy) = read_policy_value(&sources, &node) else {
            panic!("policy not read");
        };
        assert_eq!(policy.statements.len(), 1);
        let statement = &policy.statements[0];
        assert_eq!(statement.has_effect("Deny"), Some(true));
        assert_eq!(statement.applies_to_everyone(), Some(true));
        assert_eq!(statement.not_actions.len(), 1);
        assert_eq!(
            statement.conditions[0].values,
            vec![PolicyTerm::Known("false".to_owned())]
        );
    }

    #[test]
    fn target_kind_forms() {
        assert_eq!(target_kind("aws_kms_key.k"), "aws_kms_key");
        assert_eq!(
            target_kind("module.m[0].aws_kms_key.k[\"a\"]"),
            "aws_kms_key"
        );
        assert_eq!(target_kind("data.aws_kms_alias.a"), "data.aws_kms_alias");
        assert_eq!(
            target_kind("module.m.data.aws_iam_policy_document.p"),
            "data.aws_iam_policy_document"
        );
        assert_eq!(target_kind("root"), "");
    }

    #[test]
    fn invalid_json_policy() {
        let sources = nexafi_model::SourceMap::new();
        let node = Node::new(
            nexafi_model::Span::default(),
            Value::String("{not json".to_owned()),
        );
        assert!(matches!(
            read_policy_value(&sources, &node),
            PolicyLookup::Invalid { .. }
        ));
    }
}
