use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity, Value,
};

use crate::Check;
use crate::aws::s3::bucket::{BUCKET_KIND, Origin, split_resources};
use crate::aws::support::{BlockItem, block_items};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-008",
        slug: "s3-bucket-acl-public",
        title: "S3 bucket ACLs grant nothing to all users or all AWS accounts",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["no-public-datastores"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_20", "CKV_AWS_57"],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_acl",
        ],
        docs: CheckDocs {
            what: "Reads the ACL of every `aws_s3_bucket`: its inline `acl` and `grant` blocks \
                   (AWS provider v3 style) and each `aws_s3_bucket_acl` that names the bucket, \
                   with its canned `acl` or its `access_control_policy` grants. It fails on the \
                   canned ACLs `public-read`, `public-read-write` and `authenticated-read`, and on \
                   any grant to the `AllUsers` or `AuthenticatedUsers` group; the latter means \
                   every AWS account in the world, not only users of this one. No ACL at all \
                   passes, since buckets are private by default.",
            why: "A public ACL publishes every object of the bucket, or lets anyone write into \
                  it, without any policy review. Buckets holding statements, exports or backups \
                  have leaked this way. PCI DSS 1.4.4 keeps stores of cardholder data away from \
                  untrusted networks and 7.2 limits access to those who need it; GDPR and GLBA \
                  require the same for personal and customer data.",
            fix: "Remove the ACL resources and let the bucket owner own every object, which \
                  disables ACLs altogether:\n\n```hcl\n\
                  resource \"aws_s3_bucket_ownership_controls\" \"ledger\" {\n  \
                  bucket = aws_s3_bucket.ledger.id\n\n  rule {\n    \
                  object_ownership = \"BucketOwnerEnforced\"\n  }\n}\n```",
            limitations: "A public ACL fails even when a public access block with \
                          `ignore_public_acls` neutralises it; the ACL still states an intent \
                          the review should see. Object ACLs set by uploads are not visible. \
                          Grants to individual foreign accounts are not judged.",
        },
    },
    cases: include_str!("public_acl.cases.yaml"),
    evaluate,
};

const SPLIT_KIND: &str = "aws_s3_bucket_acl";
const PUBLIC_CANNED: &[&str] = &["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GROUPS: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();

    let inline = Origin::inline(bucket);
    evaluations.extend(judge_canned(inline, "acl"));
    for (index, item) in block_items(&bucket.body, "grant").into_iter().enumerate() {
        evaluations.extend(judge_grant(inline, &format!("grant.{index}"), item, "uri"));
    }

    let split = split_resources(model, bucket, SPLIT_KIND);
    for resource in &split.matched {
        let origin = Origin::split(resource);
        evaluations.extend(judge_canned(origin, "acl"));
        for (index, policy) in block_items(&resource.body, "access_control_policy")
            .into_iter()
            .enumerate()
        {
            let prefix = format!("access_control_policy.{index}");
            let policy = match policy {
                BlockItem::Known(policy) => policy,
                unknown => {
                    evaluations.extend(judge_grant(origin, &prefix, unknown, "uri"));
                    continue;
                }
            };
            for (position, grant) in block_items(policy, "grant").into_iter().enumerate() {
                let path = format!("{prefix}.grant.{position}");
                evaluations.extend(judge_grant(origin, &path, grant, "grantee.0.uri"));
            }
        }
    }

    if evaluations.is_empty() {
        let declared = !split.matched.is_empty()
            || !bucket.body.lookup("acl").is_missing()
            || !block_items(&bucket.body, "grant").is_empty();
        let message = if !declared {
            "no ACL is declared, so the bucket keeps the private default".to_owned()
        } else {
            "no ACL of this bucket grants access to all users or all AWS accounts".to_owned()
        };
        evaluations.push(Evaluation::pass(bucket.name_span, message).attribute("acl"));
    }
    evaluations
}

/// Judges a canned ACL at `path`; an omitted one yields nothing.
fn judge_canned(origin: Origin<'_>, path: &str) -> Option<Evaluation> {
    let described = origin.describe(path);
    match origin.resource.body.lookup(path) {
        Lookup::Missing => None,
        Lookup::Unknown(unknown, span) => Some(
            Evaluation::unknown(
                span,
                format!("{described} cannot be known offline: {}", unknown.reason),
            )
            .attribute(path),
        ),
        Lookup::Present(node) => match node.as_str() {
            Some(acl) if PUBLIC_CANNED.contains(&acl) => Some(
                Evaluation::fail(
                    node.span,
                    format!(
                        "{described} is {acl:?}, which opens the bucket beyond this account; \
                         remove it or use \"private\""
                    ),
                )
                .attribute(path)
                .expected("\"private\" or no ACL")
                .found(node.display()),
            ),
            _ => None,
        },
    }
}

/// Judges one grant block at `path`; `uri_path` leads from the grant to its group URI.
fn judge_grant(
    origin: Origin<'_>,
    path: &str,
    grant: BlockItem<'_>,
    uri_path: &str,
) -> Option<Evaluation> {
    let grant: &Node = match grant {
        BlockItem::Known(grant) => grant,
        BlockItem::Unknown(unknown, span) => {
            return Some(
                Evaluation::unknown(
                    span,
                    format!(
                        "{} is dynamic and cannot be expanded offline: {}",
                        origin.describe(path),
                        unknown.reason
                    ),
                )
                .attribute(path),
            );
        }
    };
    let uri_attribute = format!("{path}.{uri_path}");
    let described = origin.describe(&uri_attribute);
    match grant.lookup(uri_path) {
        Lookup::Missing => None,
        Lookup::Unknown(unknown, span) => Some(
            Evaluation::unknown(
                span,
                format!("{described} cannot be known offline: {}", unknown.reason),
            )
            .attribute(uri_attribute),
        ),
        Lookup::Present(node) => match &node.value {
            Value::String(uri) if PUBLIC_GROUPS.contains(&uri.as_str()) => Some(
                Evaluation::fail(
                    node.span,
                    format!("{described} grants access to the group {uri}; remove the grant"),
                )
                .attribute(uri_attribute)
                .expected("no grant to AllUsers or AuthenticatedUsers")
                .found(node.display()),
            ),
            _ => None,
        },
    }
}
