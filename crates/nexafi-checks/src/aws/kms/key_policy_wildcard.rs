use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::{
    PolicyLookup, PolicyStatement, all_of, any_of, read_policy, statement_unknown_reasons,
};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-KMS-002",
        slug: "kms-key-policy-open-to-any-principal",
        title: "KMS key policies grant full key access to no principal outside the account",
        severity: Severity::Critical,
        input: InputKind::Terraform,
        kinds: &["aws_kms_key", "aws_kms_key_policy"],
        categories: &["kms-key-access"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_33"],
        references: &[
            "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
            "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
            "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account",
        ],
        docs: CheckDocs {
            what: "Reads the `policy` of every `aws_kms_key` and `aws_kms_key_policy`, given as \
                   `jsonencode(...)`, a JSON string or a reference to a \
                   `data.aws_iam_policy_document`. A statement fails the check when its effect \
                   is `Allow`, its principal is every AWS principal (`\"*\"`, `{\"AWS\": \"*\"}` or \
                   any `NotPrincipal`), it grants every KMS action (`kms:*`, `*`, or any \
                   `NotAction`), and no condition limits it to one account through \
                   `kms:CallerAccount` or `aws:PrincipalAccount` with a string-equality operator \
                   and values without wildcards. In a key policy the resource always means the \
                   key itself, so `Resource` is not read. A key without a `policy` passes: KMS \
                   then applies its default key policy, which trusts only the owning account.",
            why: "Whoever holds `kms:*` on a key can decrypt everything it protects, grant \
                  access to others, change the policy and schedule the key for deletion, \
                  destroying the data for good. A wildcard principal extends that to every AWS \
                  account in the world. PCI DSS 3.6.1 restricts access to keys to the fewest \
                  custodians necessary, and SOC 2 CC6.1 expects encryption keys to be protected \
                  during use and storage.",
            fix: "Name the principals, and keep full access for the account root only:\n\n\
                  ```hcl\ndata \"aws_iam_policy_document\" \"ledger_key\" {\n  statement {\n    \
                  sid       = \"AccountRoot\"\n    actions   = [\"kms:*\"]\n    \
                  resources = [\"*\"]\n    principals {\n      type        = \"AWS\"\n      \
                  identifiers = [\"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root\"]\n    \
                  }\n  }\n}\n\nresource \"aws_kms_key\" \"ledger\" {\n  \
                  enable_key_rotation = true\n  \
                  policy              = data.aws_iam_policy_document.ledger_key.json\n}\n```",
            limitations: "Only statements granting every KMS action are judged; a wildcard \
                          principal with narrower actions, such as `kms:Decrypt`, passes here. A \
                          `jsonencode` policy that contains values computed by the provider may be \
                          unknown as a whole offline, and so is the verdict. An account condition \
                          whose value is unknown offline (the caller identity's account id) makes \
                          a wildcard statement unknown. Organisation conditions such as \
                          `aws:PrincipalOrgID` do not count as a restriction to the account.",
        },
    },
    cases: include_str!("key_policy_wildcard.cases.yaml"),
    evaluate,
};

/// Condition keys whose string-equality test pins the caller to named accounts.
const ACCOUNT_KEYS: &[&str] = &["kms:CallerAccount", "aws:PrincipalAccount"];

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    let policy = match read_policy(model, resource, "policy") {
        PolicyLookup::Missing if resource.kind == "aws_kms_key" => {
            return vec![
                Evaluation::pass(
                    resource.name_span,
                    "`policy` is omitted, so KMS applies the default key policy, which trusts \
                     only this account",
                )
                .attribute("policy"),
            ];
        }
        PolicyLookup::Missing => return Vec::new(),
        PolicyLookup::Unknown { reason, span } => {
            return vec![
                Evaluation::unknown(span, format!("`policy` cannot be known offline: {reason}"))
                    .attribute("policy"),
            ];
        }
        PolicyLookup::Invalid { message, span } => {
            return vec![
                Evaluation::fail(
                    span,
                    format!("`policy` is not a valid key policy ({message}); fix the document"),
                )
                .attribute("policy")
                .expected("a key policy document")
                .found(message),
            ];
        }
        PolicyLookup::Present(policy) => policy,
    };

    let mut evaluations = Vec::new();
    for (index, statement) in policy.statements.iter().enumerate() {
        let name = statement.sid.as_ref().map_or_else(
            || format!("statement {index}"),
            |sid| format!("statement {sid:?}"),
        );
        match open_to_everyone(statement) {
            Some(true) => evaluations.push(
                Evaluation::fail(
                    statement.span,
                    format!(
                        "{name} allows every KMS action to every AWS principal; name the \
                         principals, or limit the statement with a `kms:CallerAccount` condition"
                    ),
                )
                .attribute("policy")
                .expected("named principals, or a condition pinning the account")
                .found("Allow kms:* to principal \"*\""),
            ),
            None => evaluations.push(
                Evaluation::unknown(
                    statement.span,
                    format!(
                        "{name} may allow every KMS action to every AWS principal, but parts of \
                         it cannot be known offline: {}",
                        statement_unknown_reasons(statement).join("; ")
                    ),
                )
                .attribute("policy"),
            ),
            Some(false) => {}
        }
    }
    for (reason, span) in &policy.unknown_parts {
        evaluations.push(
            Evaluation::unknown(
                *span,
                format!("part of `policy` cannot be known offline: {reason}"),
            )
            .attribute("policy"),
        );
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(
                resource.name_span,
                format!(
                    "none of the {} statement(s) of `policy` grants every KMS action to every \
                     principal",
                    policy.statements.len()
                ),
            )
            .attribute("policy"),
        );
    }
    evaluations
}

/// Returns whether `statement` allows every KMS action to every principal of any account.
fn open_to_everyone(statement: &PolicyStatement) -> Option<bool> {
    all_of([
        statement.has_effect("Allow"),
        statement.applies_to_everyone(),
        statement.covers_every_action("kms"),
        restricted_to_account(statement).map(|restricted| !restricted),
    ])
}

/// Returns whether a condition of `statement` pins the caller to named accounts.
fn restricted_to_account(statement: &PolicyStatement) -> Option<bool> {
    any_of(statement.conditions.iter().map(|condition| {
        let key = any_of(ACCOUNT_KEYS.iter().map(|key| condition.key.equals(key)));
        let operator = condition.operator.known().map(|operator| {
            let operator = operator.to_ascii_lowercase();
            operator.starts_with("string") && !operator.contains("not")
        });
        let values = if condition.values.is_empty() {
            Some(false)
        } else {
            all_of(condition.values.iter().map(|value| {
                value
                    .known()
                    .map(|text| !text.contains('*') && !text.contains('?'))
            }))
        };
        all_of([key, operator, values])
    }))
}
