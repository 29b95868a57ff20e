use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-KMS-001",
        slug: "kms-key-rotation-disabled",
        title: "KMS customer-managed keys rotate automatically",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_kms_key"],
        categories: &["key-rotation"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_7"],
        references: &["https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"],
        docs: CheckDocs {
            what: "Reads `enable_key_rotation` on every `aws_kms_key` with a symmetric key spec. \
                   It fails when the attribute is false or omitted (the provider default is false). \
                   Asymmetric and HMAC keys cannot rotate automatically, so the check skips them.",
            why: "PCI DSS requires keys to be replaced at the end of their cryptoperiod. Automatic \
                  rotation gives a yearly (or shorter) new key version without re-encrypting data \
                  by hand, and it is the evidence an assessor asks for first.",
            fix: "Set `enable_key_rotation = true`, and optionally `rotation_period_in_days` to your \
                  documented cryptoperiod:\n\n```hcl\nresource \"aws_kms_key\" \"ledger\" {\n  enable_key_rotation     = true\n  rotation_period_in_days = 365\n}\n```",
            limitations: "Keys imported with `aws_kms_external_key` cannot rotate automatically and \
                          are not checked. A key spec that is unknown offline is treated as symmetric.",
        },
    },
    cases: include_str!("key_rotation.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    if let Lookup::Present(spec) = resource.body.lookup("customer_master_key_spec")
        && spec
            .as_str()
            .is_some_and(|spec| spec != "SYMMETRIC_DEFAULT")
    {
        return Vec::new();
    }
    vec![bool_attribute(
        resource,
        "enable_key_rotation",
        true,
        false,
        "set `enable_key_rotation = true`",
    )]
}
