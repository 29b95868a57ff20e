use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use super::support::{Engine, engine, global_secondary, is_group_member};
use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-ELASTICACHE-001",
        slug: "elasticache-at-rest-unencrypted",
        title: "ElastiCache Redis OSS and Valkey data is encrypted at rest",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[
            "aws_elasticache_replication_group",
            "aws_elasticache_cluster",
        ],
        categories: &["enc-at-rest"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_29"],
        references: &[
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/at-rest-encryption.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/elasticache_replication_group#at_rest_encryption_enabled",
        ],
        docs: CheckDocs {
            what: "Reads `at_rest_encryption_enabled` on every \
                   `aws_elasticache_replication_group`. It fails when the attribute is false, \
                   or omitted on a Redis OSS group (the default is false for `redis`, the \
                   default engine, and true for `valkey`). A standalone Redis OSS or Valkey \
                   `aws_elasticache_cluster` fails, because that resource has no at-rest \
                   encryption setting. Cache clusters that join a replication group \
                   (`replication_group_id`) and Memcached clusters, which keep no data on disk, \
                   are skipped. A secondary group of a global datastore that omits the \
                   attribute follows its primary and is unknown.",
            why: "Redis OSS and Valkey write data to disk during synchronisation and swap, and \
                  into snapshots kept in S3. Session tokens, cached account data and rate-limit \
                  state in those files are readable to anyone who obtains a snapshot copy. \
                  Encryption at rest can only be chosen when the group is created, so it has to \
                  be right in the first apply.",
            fix: "Create the cache as a replication group with encryption at rest, preferably \
                  with a customer-managed key:\n\n```hcl\nresource \
                  \"aws_elasticache_replication_group\" \"sessions\" {\n  \
                  at_rest_encryption_enabled = true\n  kms_key_id                 = \
                  aws_kms_key.cache.arn\n}\n```\n\nAn existing group needs a new group \
                  restored from a snapshot.",
            limitations: "ElastiCache Serverless caches are always encrypted and are not \
                          evaluated. The engine version is not checked: encryption at rest \
                          needs Redis OSS 3.2.6 or 4.0.10 and later.",
        },
    },
    cases: include_str!("at_rest_encryption.cases.yaml"),
    evaluate,
};

const PATH: &str = "at_rest_encryption_enabled";
const FIX: &str = "set `at_rest_encryption_enabled = true` (it can only be set when the group \
                   is created)";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    if resource.kind == "aws_elasticache_cluster" {
        return evaluate_cluster(resource).into_iter().collect();
    }

    if let Some(inherited) = global_secondary(resource, PATH) {
        return vec![inherited];
    }
    let default = match engine(resource, Some(Engine::RedisLike { valkey: false })) {
        Some(Engine::RedisLike { valkey }) => valkey,
        Some(Engine::Unknown) if resource.body.lookup(PATH).is_missing() => {
            let span = resource
                .body
                .get("engine")
                .map_or(resource.name_span, |node| node.span);
            return vec![
                Evaluation::unknown(
                    span,
                    "`at_rest_encryption_enabled` is omitted and its default depends on \
                     `engine`, which cannot be known offline",
                )
                .attribute(PATH),
            ];
        }
        _ => false,
    };
    vec![bool_attribute(resource, PATH, true, default, FIX)]
}

fn evaluate_cluster(cluster: &Resource) -> Option<Evaluation> {
    if is_group_member(cluster) {
        return None;
    }
    let span = cluster
        .body
        .get("engine")
        .map_or(cluster.name_span, |node| node.span);
    match engine(cluster, None)? {
        Engine::Memcached => None,
        Engine::Unknown => Some(
            Evaluation::unknown(
                span,
                "`engine` cannot be known offline; a standalone Redis OSS or Valkey cluster \
                 cannot encrypt data at rest",
            )
            .attribute("engine"),
        ),
        Engine::RedisLike { .. } => Some(
            Evaluation::fail(
                span,
                "a standalone `aws_elasticache_cluster` running Redis OSS or Valkey cannot \
                 encrypt data at rest; create an `aws_elasticache_replication_group` with \
                 `at_rest_encryption_enabled = true` instead",
            )
            .attribute(PATH)
            .expected("true")
            .found("not supported on aws_elasticache_cluster"),
        ),
    }
}
