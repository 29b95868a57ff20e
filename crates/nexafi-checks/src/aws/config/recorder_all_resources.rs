use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::{BlockItem, as_bool, block_items, unknown};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CONFIG-002",
        slug: "config-recorder-partial",
        title: "AWS Config recorders record every supported resource type",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_config_configuration_recorder"],
        categories: &["config-monitoring", "asset-inventory"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/config_configuration_recorder#recording_group",
        ],
        docs: CheckDocs {
            what: "Reads the `recording_group` block of every \
                   `aws_config_configuration_recorder`. It fails when `all_supported` is false \
                   (the recorder records only the listed `resource_types`) or when \
                   `recording_strategy.use_only` is anything but \
                   `ALL_SUPPORTED_RESOURCE_TYPES` (an inclusion list or an exclusion list). An \
                   omitted block or attribute passes: `all_supported` defaults to true. A \
                   `dynamic` recording group or a value unknown offline is unknown.",
            why: "A recorder limited to a list of resource types misses every type that is \
                  not on the list, including new services adopted later: the inventory and \
                  change history auditors rely on then has gaps exactly where nobody looked. \
                  Recording all supported types also records new types as AWS adds them.",
            fix: "Record every supported type (and global types such as IAM in one region):\n\n\
                  ```hcl\nresource \"aws_config_configuration_recorder\" \"this\" {\n  role_arn \
                  = aws_iam_role.config.arn\n\n  recording_group {\n    all_supported          \
                  = true\n    include_global_resource_types = true\n  }\n}\n```",
            limitations: "`include_global_resource_types` is not required, since global types \
                          need recording in one region only and the check cannot see the \
                          others. Daily recording (`recording_mode`) passes like continuous \
                          recording.",
        },
    },
    cases: include_str!("recorder_all_resources.cases.yaml"),
    evaluate,
};

const ALL_SUPPORTED: &str = "ALL_SUPPORTED_RESOURCE_TYPES";

fn evaluate(recorder: &Resource, _model: &Model) -> Vec<Evaluation> {
    let groups = block_items(&recorder.body, "recording_group");
    let Some(group) = groups.first() else {
        return vec![
            Evaluation::pass(
                recorder.name_span,
                "`recording_group` is omitted, so every supported resource type is recorded",
            )
            .attribute("recording_group.all_supported"),
        ];
    };
    let group = match group {
        BlockItem::Known(group) => group,
        BlockItem::Unknown(unknown_value, span) => {
            return vec![unknown("recording_group", &unknown_value.reason, *span)];
        }
    };
    vec![
        evaluate_all_supported(recorder, group),
        evaluate_strategy(recorder, group),
    ]
}

fn evaluate_all_supported(recorder: &Resource, group: &nexafi_model::Node) -> Evaluation {
    const PATH: &str = "recording_group.0.all_supported";
    match group.lookup("all_supported") {
        Lookup::Missing => Evaluation::pass(
            group.span,
            "`all_supported` is omitted and defaults to true",
        )
        .attribute(PATH),
        Lookup::Unknown(unknown_value, span) => unknown(PATH, &unknown_value.reason, span),
        Lookup::Present(node) => match as_bool(node) {
            Some(true) => Evaluation::pass(node.span, "`all_supported` is true").attribute(PATH),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "{} records only the listed resource types (`all_supported` is {}); set \
                     `all_supported = true` and remove `resource_types`",
                    recorder.address,
                    node.display()
                ),
            )
            .attribute(PATH)
            .expected("true")
            .found(node.display()),
        },
    }
}

fn evaluate_strategy(recorder: &Resource, group: &nexafi_model::Node) -> Evaluation {
    const PATH: &str = "recording_group.0.recording_strategy.0.use_only";
    match group.lookup("recording_strategy.0.use_only") {
        Lookup::Missing => {
            Evaluation::pass(group.span, "no recording strategy narrows the types").attribute(PATH)
        }
        Lookup::Unknown(unknown_value, span) => unknown(PATH, &unknown_value.reason, span),
        Lookup::Present(node) if node.as_str() == Some(ALL_SUPPORTED) => Evaluation::pass(
            node.span,
            format!("the recording strategy is {ALL_SUPPORTED}"),
        )
        .attribute(PATH),
        Lookup::Present(node) => Evaluation::fail(
            node.span,
            format!(
                "{} records a chosen subset of resource types (`use_only` is {}); set \
                 `use_only = \"{ALL_SUPPORTED}\"`",
                recorder.address,
                node.display()
            ),
        )
        .attribute(PATH)
        .expected(format!("\"{ALL_SUPPORTED}\""))
        .found(node.display()),
    }
}
