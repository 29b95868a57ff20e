use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity, Span,
};

use crate::Check;
use crate::aws::s3::bucket::{BUCKET_KIND, Origin, split_resources};
use crate::aws::support::{
    PolicyLookup, PolicyStatement, PolicyTerm, all_of, any_of, read_policy,
    statement_unknown_reasons,
};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-007",
        slug: "s3-bucket-allows-insecure-transport",
        title: "S3 bucket policies deny requests that do not use TLS",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["tls-in-transit"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_policy",
        ],
        docs: CheckDocs {
            what: "Reads the bucket policy of every `aws_s3_bucket`: each `aws_s3_bucket_policy` \
                   that names the bucket and the inline `policy` of the bucket (AWS provider v3 \
                   style). The policy may be a `jsonencode(...)` value, a JSON string or a \
                   reference to a `data.aws_iam_policy_document`, whose `statement` blocks are \
                   read through the reference. The check passes when one statement has effect \
                   `Deny`, applies to every principal (`\"*\"` or `{\"AWS\": \"*\"}`), covers all \
                   S3 actions (`s3:*` or `*`), covers the objects (a resource ending in `/*`) and \
                   carries the condition `Bool` (or `BoolIfExists`) `aws:SecureTransport = \
                   false`. It fails when no policy exists or no statement matches. An unknown \
                   part of a policy that could hold such a statement makes the result unknown.",
            why: "S3 serves plain HTTP as well as HTTPS. Without the deny, a misconfigured client, \
                  an old SDK or an endpoint override can move card data or statements in clear \
                  text, readable by anyone on the path. PCI DSS 4.2.1 requires strong \
                  cryptography for account data in transit over open networks, and the GLBA \
                  Safeguards Rule asks for encryption of customer information in transit; the \
                  bucket policy is the only server-side way to enforce it for S3.",
            fix: "Add a deny statement to the bucket policy:\n\n```hcl\n\
                  data \"aws_iam_policy_document\" \"ledger\" {\n  statement {\n    \
                  sid     = \"DenyInsecureTransport\"\n    effect  = \"Deny\"\n    \
                  actions = [\"s3:*\"]\n    resources = [\n      aws_s3_bucket.ledger.arn,\n      \
                  \"${aws_s3_bucket.ledger.arn}/*\",\n    ]\n    principals {\n      \
                  type        = \"*\"\n      identifiers = [\"*\"]\n    }\n    condition {\n      \
                  test     = \"Bool\"\n      variable = \"aws:SecureTransport\"\n      \
                  values   = [\"false\"]\n    }\n  }\n}\n\n\
                  resource \"aws_s3_bucket_policy\" \"ledger\" {\n  \
                  bucket = aws_s3_bucket.ledger.id\n  \
                  policy = data.aws_iam_policy_document.ledger.json\n}\n```",
            limitations: "A policy built with `jsonencode` around values computed by the provider \
                          (a bucket ARN) may be unknown as a whole offline, and the check then \
                          reports unknown. Resources that are unknown offline are taken to name \
                          this bucket, since S3 rejects bucket policies about other buckets. A deny \
                          that uses `s3:TlsVersion` alone does not count, because plain HTTP \
                          requests carry no TLS version. Statements of \
                          `override_policy_documents` are added, not merged by `sid`.",
        },
    },
    cases: include_str!("secure_transport.cases.yaml"),
    evaluate,
};

const SPLIT_KIND: &str = "aws_s3_bucket_policy";

/// The findings so far from the policies of a bucket.
struct Search {
    /// The span and description of a statement that denies plain HTTP.
    found: Option<(Span, String)>,
    /// Reasons a matching statement may still exist, each with the span to point at.
    unknowns: Vec<(String, Span)>,
    /// Descriptions of the policies read, for the failure message.
    seen: Vec<String>,
}

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut search = Search {
        found: None,
        unknowns: Vec::new(),
        seen: Vec::new(),
    };

    let split = split_resources(model, bucket, SPLIT_KIND);
    let mut origins = vec![Origin::inline(bucket)];
    origins.extend(split.matched.iter().map(|resource| Origin::split(resource)));
    for origin in origins {
        let described = origin.describe("policy");
        match read_policy(model, origin.resource, "policy") {
            PolicyLookup::Missing if origin.inline => {}
            PolicyLookup::Missing => search.seen.push(format!("{described} is empty")),
            PolicyLookup::Unknown { reason, span } => {
                search.unknowns.push((
                    format!("{described} cannot be known offline: {reason}"),
                    span,
                ));
            }
            PolicyLookup::Invalid { message, .. } => {
                search
                    .seen
                    .push(format!("{described} is invalid: {message}"));
            }
            PolicyLookup::Present(policy) => {
                search.seen.push(format!(
                    "{described} has {} statement(s), none denying plain HTTP",
                    policy.statements.len()
                ));
                for statement in &policy.statements {
                    match denies_plain_http(statement) {
                        Some(true) => {
                            let sid = statement.sid.as_deref().unwrap_or("without a sid");
                            search.found =
                                Some((statement.span, format!("statement {sid} of {described}")));
                        }
                        Some(false) => {}
                        None => search.unknowns.push((
                            format!(
                                "a statement of {described} may deny plain HTTP, but parts of it \
                                 cannot be known offline: {}",
                                statement_unknown_reasons(statement).join("; ")
                            ),
                            statement.span,
                        )),
                    }
                }
                for (reason, span) in policy.unknown_parts {
                    search
                        .unknowns
                        .push((format!("part of {described} is unknown: {reason}"), span));
                }
            }
        }
        if search.found.is_some() {
            break;
        }
    }
    for (resource, reason) in &split.undetermined {
        search.unknowns.push((
            format!("{} may be this bucket's policy: {reason}", resource.address),
            resource.name_span,
        ));
    }

    vec![judge(bucket, search)]
}

fn judge(bucket: &Resource, search: Search) -> Evaluation {
    if let Some((span, described)) = search.found {
        return Evaluation::pass(
            span,
            format!("{described} denies every request with aws:SecureTransport = false"),
        )
        .attribute("policy");
    }
    if let Some((_, span)) = search.unknowns.first() {
        let reasons: Vec<&str> = search
            .unknowns
            .iter()
            .map(|(reason, _)| reason.as_str())
            .collect();
        return Evaluation::unknown(*span, reasons.join("; ")).attribute("policy");
    }

    let found = if search.seen.is_empty() {
        "no bucket policy".to_owned()
    } else {
        search.seen.join("; ")
    };
    Evaluation::fail(
        bucket.name_span,
        format!(
            "nothing denies plain HTTP requests to this bucket ({found}); add a bucket policy \
             statement that denies `s3:*` to every principal when `aws:SecureTransport` is false"
        ),
    )
    .attribute("policy")
    .expected("a Deny statement on aws:SecureTransport = false")
    .found(found)
}

/// Returns whether `statement` denies every S3 request over plain HTTP; `None` when
/// unknown parts decide it.
fn denies_plain_http(statement: &PolicyStatement) -> Option<bool> {
    let everyone = if statement.not_principals.is_some() {
        Some(false)
    } else {
        statement.applies_to_everyone()
    };
    let every_action = if statement.not_actions.is_empty() {
        statement.covers_every_action("s3")
    } else {
        Some(false)
    };
    all_of([
        statement.has_effect("Deny"),
        everyone,
        every_action,
        covers_objects(&statement.resources),
        any_of(statement.conditions.iter().map(|condition| {
            all_of([
                any_of([
                    condition.operator.equals("Bool"),
                    condition.operator.equals("BoolIfExists"),
                ]),
                condition.key.equals("aws:SecureTransport"),
                any_of(condition.values.iter().map(|value| value.equals("false"))),
            ])
        })),
    ])
}

/// Returns whether some resource covers the bucket's objects (ends in `*`). A template
/// ending in `/*` does; a reference computed by the provider might be either the bucket
/// or its objects.
fn covers_objects(resources: &[PolicyTerm]) -> Option<bool> {
    any_of(resources.iter().map(|resource| match resource {
        PolicyTerm::Known(text) => Some(text.ends_with('*')),
        PolicyTerm::Partial { pattern, .. } if pattern.ends_with("/*") => Some(true),
        PolicyTerm::Partial { pattern, .. } if !pattern.ends_with('*') => Some(false),
        _ => None,
    }))
}
