use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Span,
};

use crate::Check;
use crate::aws::s3::bucket::{BUCKET_KIND, split_resources};
use crate::aws::support::{any_of, as_bool};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-003",
        slug: "s3-bucket-public-access-not-blocked",
        title: "S3 buckets block all public access",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["no-public-datastores"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[
            "CKV2_AWS_6",
            "CKV_AWS_53",
            "CKV_AWS_54",
            "CKV_AWS_55",
            "CKV_AWS_56",
        ],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_public_access_block",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_account_public_access_block",
        ],
        docs: CheckDocs {
            what: "For every `aws_s3_bucket`, combines the `aws_s3_bucket_public_access_block` \
                   resources that name the bucket (by reference or literal name) with any \
                   `aws_s3_account_public_access_block` of the same root module, since S3 applies \
                   the stricter of the two. Each of the four settings `block_public_acls`, \
                   `block_public_policy`, `ignore_public_acls` and `restrict_public_buckets` must \
                   be true in at least one of them. An omitted setting is false, which is the \
                   provider default. The check fails, once per setting, when a setting is false \
                   everywhere, and also when neither kind of block exists.",
            why: "A single public ACL or bucket policy statement exposes card data, statements or \
                  identity documents to the whole internet, and S3 has been the source of many \
                  such breaches. Block Public Access overrides any ACL or policy that would grant \
                  public access, so a mistake in a policy stays harmless. PCI DSS 1.4.4 requires \
                  that stores of cardholder data not be reachable from untrusted networks, and \
                  GLBA and GDPR expect access limited to authorised users.",
            fix: "Add a block for the bucket (or one for the whole account) with all four \
                  settings on:\n\n```hcl\nresource \"aws_s3_bucket_public_access_block\" \"ledger\" {\n  \
                  bucket                  = aws_s3_bucket.ledger.id\n  block_public_acls       = true\n  \
                  block_public_policy     = true\n  ignore_public_acls      = true\n  \
                  restrict_public_buckets = true\n}\n```",
            limitations: "An account-level block managed in another Terraform root module, or \
                          outside Terraform, is not visible, so buckets then fail here; waive the \
                          check with a reference to that control. Since April 2023 new buckets \
                          block public access by default, but the check still asks for the \
                          setting in code. Organization-level policies (SCPs) are not read.",
        },
    },
    cases: include_str!("public_access_block.cases.yaml"),
    evaluate,
};

const SPLIT_KIND: &str = "aws_s3_bucket_public_access_block";
const ACCOUNT_KIND: &str = "aws_s3_account_public_access_block";
const SETTINGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// One block's value for one setting.
struct Setting {
    value: Option<bool>,
    /// The value's span, or the block's name when the setting is omitted.
    span: Span,
    /// The value as shown in messages.
    found: String,
    owner: String,
}

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let split = split_resources(model, bucket, SPLIT_KIND);
    let blocks: Vec<&Resource> = split
        .matched
        .iter()
        .copied()
        .chain(model.in_group(bucket, ACCOUNT_KIND))
        .collect();
    if blocks.is_empty() && split.undetermined.is_empty() {
        return vec![
            Evaluation::fail(
                bucket.name_span,
                format!(
                    "no public access block covers this bucket; add an `{SPLIT_KIND}` for it \
                     (or an `{ACCOUNT_KIND}`) with all four settings true"
                ),
            )
            .attribute(SPLIT_KIND)
            .expected("all four settings true")
            .found("no block"),
        ];
    }

    let mut evaluations = Vec::new();
    for name in SETTINGS {
        let settings: Vec<Setting> = blocks.iter().map(|block| read(block, name)).collect();
        let undetermined = split.undetermined.iter().map(|_| None);
        let verdict = any_of(
            settings
                .iter()
                .map(|setting| setting.value)
                .chain(undetermined),
        );
        evaluations.push(judge(bucket, name, verdict, &settings, &split.undetermined));
    }
    evaluations
}

fn read(block: &Resource, name: &str) -> Setting {
    let owner = block.address.clone();
    match block.body.lookup(name) {
        Lookup::Missing => Setting {
            value: Some(false),
            span: block.name_span,
            found: "omitted (false)".to_owned(),
            owner,
        },
        Lookup::Unknown(unknown, span) => Setting {
            value: None,
            span,
            found: format!("it cannot be known offline: {}", unknown.reason),
            owner,
        },
        Lookup::Present(node) => Setting {
            value: Some(as_bool(node) == Some(true)),
            span: node.span,
            found: node.display(),
            owner,
        },
    }
}

fn judge(
    bucket: &Resource,
    name: &str,
    verdict: Option<bool>,
    settings: &[Setting],
    undetermined: &[(&Resource, String)],
) -> Evaluation {
    let listed: Vec<String> = settings
        .iter()
        .map(|setting| format!("{} in {}", setting.found, setting.owner))
        .collect();
    match verdict {
        Some(true) => {
            let span = settings
                .iter()
                .find(|setting| setting.value == Some(true))
                .map_or(bucket.name_span, |setting| setting.span);
            Evaluation::pass(span, format!("`{name}` is true ({})", listed.join(", ")))
                .attribute(name)
        }
        Some(false) => {
            let span = settings
                .first()
                .map_or(bucket.name_span, |setting| setting.span);
            Evaluation::fail(
                span,
                format!(
                    "`{name}` is not true in any public access block of this bucket ({}); set \
                     `{name} = true`",
                    listed.join(", ")
                ),
            )
            .attribute(name)
            .expected("true")
            .found(listed.join(", "))
        }
        None => {
            let mut reasons: Vec<String> = settings
                .iter()
                .filter(|setting| setting.value.is_none())
                .map(|setting| format!("in {}, {}", setting.owner, setting.found))
                .collect();
            reasons.extend(undetermined.iter().map(|(resource, reason)| {
                format!("{} may cover this bucket: {reason}", resource.address)
            }));
            let span = settings
                .iter()
                .find(|setting| setting.value.is_none())
                .map_or(bucket.name_span, |setting| setting.span);
            Evaluation::unknown(
                span,
                format!("`{name}` is not known to be true: {}", reasons.join("; ")),
            )
            .attribute(name)
        }
    }
}
