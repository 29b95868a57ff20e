use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CLOUDTRAIL-001",
        slug: "cloudtrail-single-region",
        title: "CloudTrail trails record events of every region",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_cloudtrail"],
        categories: &["audit-logging-cloud"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_67"],
        references: &[
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudtrail#is_multi_region_trail",
        ],
        docs: CheckDocs {
            what: "Reads `is_multi_region_trail` on every `aws_cloudtrail`. It fails when the \
                   attribute is false or omitted, since the provider default is false and the \
                   trail then records only the region it was created in. A string \"true\" \
                   counts as true.",
            why: "An attacker with stolen credentials starts resources, creates keys or changes \
                  policies in a region nobody watches. A trail that covers every region, \
                  including those enabled later, leaves no such gap, and it also records global \
                  service events such as IAM changes. PCI DSS 10.2 requires audit logs of all \
                  administrative actions, and SOC 2 CC7.2 expects monitoring of the whole \
                  environment.",
            fix: "Make the trail cover every region:\n\n```hcl\nresource \"aws_cloudtrail\" \"main\" {\n  \
                  name                          = \"organization\"\n  \
                  s3_bucket_name                = aws_s3_bucket.trail.id\n  \
                  is_multi_region_trail         = true\n  \
                  include_global_service_events = true\n}\n```",
            limitations: "Each trail is judged on its own: a single-region trail fails even when \
                          another trail of the account, possibly managed elsewhere, covers every \
                          region. An organisation trail (`is_organization_trail`) must be \
                          multi-region too and is judged the same way.",
        },
    },
    cases: include_str!("multi_region.cases.yaml"),
    evaluate,
};

fn evaluate(trail: &Resource, _model: &Model) -> Vec<Evaluation> {
    vec![bool_attribute(
        trail,
        "is_multi_region_trail",
        true,
        false,
        "set `is_multi_region_trail = true` so that every region is recorded",
    )]
}
