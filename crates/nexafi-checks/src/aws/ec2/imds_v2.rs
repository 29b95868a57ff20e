use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::{BlockItem, block_items};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EC2-005",
        slug: "ec2-imdsv1-allowed",
        title: "EC2 instances and launch templates require IMDSv2",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_instance", "aws_launch_template"],
        categories: &["node-metadata-protection"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_79"],
        references: &[
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/instance#metadata-options",
        ],
        docs: CheckDocs {
            what: "Reads `metadata_options` of every `aws_instance` and `aws_launch_template`. It \
                   passes when `http_tokens = \"required\"` or when `http_endpoint = \"disabled\"` \
                   turns the metadata service off. It fails when `http_tokens` is `optional`, and \
                   when it or the whole block is omitted: EC2 then picks the default from the \
                   AMI's `ImdsSupport` and the account's IMDS defaults, neither of which code \
                   review can see. A pass notes a hop limit above 1, which lets containers on \
                   the instance reach the metadata service.",
            why: "IMDSv1 answers plain GET requests, so a server-side request forgery in any \
                  application on the instance can read the instance role's credentials, as in \
                  the 2019 Capital One breach. IMDSv2 requires a session token obtained with a \
                  PUT request, which such forgeries cannot send. PCI DSS 2.2 asks for secure \
                  configuration standards and 7.2.5 for least privilege of system accounts, \
                  which leaked instance credentials defeat.",
            fix: "Require session tokens, and keep the hop limit at 1 unless containers on the \
                  host need the metadata service:\n\n```hcl\nresource \"aws_launch_template\" \"nodes\" {\n  \
                  name_prefix = \"payments-\"\n\n  metadata_options {\n    \
                  http_endpoint               = \"enabled\"\n    \
                  http_tokens                 = \"required\"\n    \
                  http_put_response_hop_limit = 1\n  }\n}\n```",
            limitations: "Launch configurations (`aws_launch_configuration`) and instances \
                          created by other tools are not read. An account-level IMDS default \
                          (`aws_ec2_instance_metadata_defaults`) is not taken into account, so \
                          instances relying on it fail; waive them with that reason. The hop \
                          limit is reported, not enforced.",
        },
    },
    cases: include_str!("imds_v2.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let items = block_items(&resource.body, "metadata_options");
    let Some(first) = items.first() else {
        return vec![
            Evaluation::fail(
                resource.name_span,
                "`metadata_options` is omitted, so whether IMDSv1 answers depends on the AMI and \
                 the account defaults; add the block with `http_tokens = \"required\"`",
            )
            .attribute("metadata_options.0.http_tokens")
            .expected("required")
            .found("omitted"),
        ];
    };
    let block = match first {
        BlockItem::Known(block) => *block,
        BlockItem::Unknown(unknown, span) => {
            return vec![
                Evaluation::unknown(
                    *span,
                    format!(
                        "`metadata_options` is dynamic and cannot be expanded offline: {}",
                        unknown.reason
                    ),
                )
                .attribute("metadata_options"),
            ];
        }
    };

    let endpoint = "metadata_options.0.http_endpoint";
    if let Lookup::Present(node) = block.lookup("http_endpoint")
        && node.as_str() == Some("disabled")
    {
        return vec![
            Evaluation::pass(
                node.span,
                format!("`{endpoint}` is \"disabled\", so the metadata service is off"),
            )
            .attribute(endpoint),
        ];
    }

    let path = "metadata_options.0.http_tokens";
    let evaluation = match block.lookup("http_tokens") {
        Lookup::Present(node) if node.as_str() == Some("required") => Evaluation::pass(
            node.span,
            format!("`{path}` is \"required\"{}", hop_note(block)),
        ),
        Lookup::Present(node) => Evaluation::fail(
            node.span,
            format!(
                "`{path}` is {}, so IMDSv1 answers unauthenticated requests; set it to \
                 \"required\"",
                node.display()
            ),
        )
        .expected("required")
        .found(node.display()),
        Lookup::Unknown(unknown, span) => Evaluation::unknown(
            span,
            format!("`{path}` cannot be known offline: {}", unknown.reason),
        ),
        Lookup::Missing => Evaluation::fail(
            block.span,
            format!(
                "`{path}` is omitted, so whether IMDSv1 answers depends on the AMI and the \
                 account defaults; set it to \"required\""
            ),
        )
        .expected("required")
        .found("omitted"),
    };
    vec![evaluation.attribute(path)]
}

/// Notes a hop limit above 1 for the pass message.
fn hop_note(block: &nexafi_model::Node) -> String {
    match block.lookup("http_put_response_hop_limit") {
        Lookup::Present(node) if node.as_i64().is_some_and(|limit| limit > 1) => format!(
            "; the hop limit of {} lets containers on the host reach the metadata service",
            node.display()
        ),
        _ => String::new(),
    }
}
