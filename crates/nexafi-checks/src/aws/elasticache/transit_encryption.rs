use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Verdict,
};

use super::support::{global_secondary, is_group_member};
use crate::Check;
use crate::aws::support::{bool_attribute, unknown};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-ELASTICACHE-002",
        slug: "elasticache-transit-unencrypted",
        title: "ElastiCache accepts only TLS connections",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[
            "aws_elasticache_replication_group",
            "aws_elasticache_cluster",
        ],
        categories: &["tls-in-transit"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_30"],
        references: &[
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/elasticache_replication_group#transit_encryption_enabled",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/elasticache_cluster#transit_encryption_enabled",
        ],
        docs: CheckDocs {
            what: "Reads `transit_encryption_enabled` on every \
                   `aws_elasticache_replication_group` and every standalone \
                   `aws_elasticache_cluster`, and fails when it is false or omitted (the \
                   default is false). When it is true, a replication group also fails with \
                   `transit_encryption_mode = \"preferred\"`, which still accepts plain-text \
                   clients; omitted means `required`. Cache clusters that join a replication \
                   group are skipped, and a secondary group of a global datastore that omits \
                   the attribute follows its primary and is unknown.",
            why: "Without TLS, every command and value crosses the VPC in clear text: session \
                  tokens, cached card or account data and AUTH passwords can be read by anything \
                  that sees the traffic, such as a compromised instance or a traffic mirror \
                  session. PCI DSS 4.2.1 and GDPR article 32 expect encryption of sensitive data \
                  in transit, including inside private networks.",
            fix: "Turn on in-transit encryption and require it:\n\n```hcl\nresource \
                  \"aws_elasticache_replication_group\" \"sessions\" {\n  \
                  transit_encryption_enabled = true\n  transit_encryption_mode    = \
                  \"required\"\n}\n```\n\nGroups on engine versions before Redis OSS 7.0.5 \
                  must be replaced to change the setting; later versions migrate through \
                  `preferred` to `required` without downtime.",
            limitations: "The engine version is not checked: Memcached needs 1.6.12 or later \
                          and Redis OSS 3.2.6 or 4.0.10 or later for TLS. ElastiCache \
                          Serverless caches always use TLS and are not evaluated.",
        },
    },
    cases: include_str!("transit_encryption.cases.yaml"),
    evaluate,
};

const PATH: &str = "transit_encryption_enabled";
const MODE_PATH: &str = "transit_encryption_mode";
const FIX: &str = "set `transit_encryption_enabled = true`";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    if resource.kind == "aws_elasticache_cluster" {
        if is_group_member(resource) {
            return Vec::new();
        }
        return vec![bool_attribute(resource, PATH, true, false, FIX)];
    }

    if let Some(inherited) = global_secondary(resource, PATH) {
        return vec![inherited];
    }
    let enabled = bool_attribute(resource, PATH, true, false, FIX);
    if enabled.verdict != Verdict::Pass {
        return vec![enabled];
    }
    vec![enabled, evaluate_mode(resource)]
}

/// Checks that TLS is required rather than offered next to plain-text connections.
fn evaluate_mode(group: &Resource) -> Evaluation {
    match group.body.lookup(MODE_PATH) {
        Lookup::Missing => Evaluation::pass(
            group.name_span,
            "`transit_encryption_mode` is omitted, so TLS is required",
        )
        .attribute(MODE_PATH),
        Lookup::Unknown(unknown_value, span) => unknown(MODE_PATH, &unknown_value.reason, span),
        Lookup::Present(node) => match node.as_str() {
            Some(mode) if mode.eq_ignore_ascii_case("required") => {
                Evaluation::pass(node.span, "`transit_encryption_mode` is \"required\"")
                    .attribute(MODE_PATH)
            }
            _ => Evaluation::fail(
                node.span,
                format!(
                    "`transit_encryption_mode` is {}, so clients may still connect without TLS; \
                     set it to \"required\" once every client uses TLS",
                    node.display()
                ),
            )
            .attribute(MODE_PATH)
            .expected("\"required\"")
            .found(node.display()),
        },
    }
}
