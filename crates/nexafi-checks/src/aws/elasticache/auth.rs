use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Value,
};

use super::support::{Engine, engine, global_secondary, is_group_member};
use crate::Check;
use crate::aws::support::referenced_by_value;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-ELASTICACHE-003",
        slug: "elasticache-auth-disabled",
        title: "ElastiCache Redis OSS and Valkey require authentication",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[
            "aws_elasticache_replication_group",
            "aws_elasticache_cluster",
        ],
        categories: &["iam-least-privilege"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_31"],
        references: &[
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html",
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/elasticache_replication_group#auth_token",
        ],
        docs: CheckDocs {
            what: "Passes an `aws_elasticache_replication_group` that sets `user_group_ids` \
                   (role-based access control with users and permissions) or an `auth_token` \
                   (a shared password for the Redis AUTH command), and fails one that sets \
                   neither. An `auth_token` that is unknown offline passes only when it is \
                   computed from another resource or data source, such as \
                   `random_password.x.result` or a Secrets Manager secret, because such a \
                   value is never empty; a token from a variable without a value is unknown. \
                   A token shorter than 16 characters fails, since ElastiCache rejects it. A \
                   standalone Redis OSS or Valkey `aws_elasticache_cluster` fails, because that \
                   resource cannot require authentication. Memcached clusters, cache clusters \
                   that join a replication group, and secondary groups of a global datastore \
                   that omit both attributes (they follow the primary) are not failed.",
            why: "Without authentication, anything that reaches the cache port can read and \
                  change every key: session tokens, cached customer data, idempotency keys of \
                  payment requests. Security groups limit who reaches the port, but a single \
                  compromised workload in the VPC is enough. Role-based access control also \
                  gives each application its own user and command permissions, which least \
                  privilege (PCI DSS 7.2) asks for.",
            fix: "Prefer role-based access control, or at least an AUTH token kept out of the \
                  code (both need in-transit encryption):\n\n```hcl\nresource \
                  \"aws_elasticache_replication_group\" \"sessions\" {\n  \
                  transit_encryption_enabled = true\n  user_group_ids             = \
                  [aws_elasticache_user_group.sessions.user_group_id]\n}\n```\n\nor \
                  `auth_token = random_password.cache.result` with the value also stored in \
                  Secrets Manager.",
            limitations: "An AUTH token passes whatever its strength beyond the 16-character \
                          minimum, and a token written as a literal in the code passes here \
                          although it is a secret in the repository (the secrets checks report \
                          that). A user group that contains the default user without a \
                          password still passes.",
        },
    },
    cases: include_str!("auth.cases.yaml"),
    evaluate,
};

/// The shortest AUTH token ElastiCache accepts.
const MINIMUM_TOKEN_LENGTH: usize = 16;

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    if resource.kind == "aws_elasticache_cluster" {
        return evaluate_cluster(resource).into_iter().collect();
    }
    vec![evaluate_group(resource, model)]
}

fn evaluate_group(group: &Resource, model: &Model) -> Evaluation {
    let user_groups = evaluate_user_groups(group, model);
    if let Some(evaluation) = &user_groups
        && evaluation.verdict == nexafi_model::Verdict::Pass
    {
        return evaluation.clone();
    }

    let token = evaluate_token(group, model);
    match (token, user_groups) {
        (Some(token), _) if token.verdict == nexafi_model::Verdict::Pass => token,
        (_, Some(user_groups)) => user_groups,
        (Some(token), None) => token,
        (None, None) => {
            if let Some(inherited) = global_secondary(group, "auth_token") {
                return inherited;
            }
            Evaluation::fail(
                group.name_span,
                "the replication group requires no authentication; set `user_group_ids` to an \
                 RBAC user group, or an `auth_token` with `transit_encryption_enabled = true`",
            )
            .attribute("auth_token")
            .expected("auth_token or user_group_ids")
            .found("neither")
        }
    }
}

/// Judges `user_group_ids`; `None` when it is omitted or empty.
fn evaluate_user_groups(group: &Resource, model: &Model) -> Option<Evaluation> {
    const PATH: &str = "user_group_ids";
    match group.body.lookup(PATH) {
        Lookup::Missing => None,
        Lookup::Present(node) => match &node.value {
            Value::List(items) if items.is_empty() => None,
            _ => Some(
                Evaluation::pass(
                    node.span,
                    "RBAC user groups control access (`user_group_ids`)",
                )
                .attribute(PATH),
            ),
        },
        Lookup::Unknown(unknown_value, span) => {
            if let Some(source) = referenced_by_value(model, group, PATH, span).first() {
                return Some(
                    Evaluation::pass(
                        span,
                        format!(
                            "RBAC user groups control access: `user_group_ids` comes from {}",
                            source.address
                        ),
                    )
                    .attribute(PATH),
                );
            }
            Some(
                Evaluation::unknown(
                    span,
                    format!(
                        "`user_group_ids` cannot be known offline, so whether RBAC applies is \
                         unknown: {}",
                        unknown_value.reason
                    ),
                )
                .attribute(PATH),
            )
        }
    }
}

/// Judges `auth_token`; `None` when it is omitted.
fn evaluate_token(group: &Resource, model: &Model) -> Option<Evaluation> {
    const PATH: &str = "auth_token";
    match group.body.lookup(PATH) {
        Lookup::Missing => None,
        Lookup::Present(node) => {
            let length = node.as_str().map_or(0, |token| token.chars().count());
            if length >= MINIMUM_TOKEN_LENGTH {
                return Some(
                    Evaluation::pass(node.span, "an AUTH token is set (`auth_token`)")
                        .attribute(PATH),
                );
            }
            // The token is a secret: the finding gives its length, never its text.
            Some(
                Evaluation::fail(
                    node.span,
                    format!(
                        "`auth_token` has {length} characters; ElastiCache requires 16 to 128, \
                         so generate it with `random_password` and keep it in Secrets Manager"
                    ),
                )
                .attribute(PATH)
                .expected("16 to 128 characters")
                .found(format!("{length} characters")),
            )
        }
        Lookup::Unknown(unknown_value, span) => {
            if let Some(source) = referenced_by_value(model, group, PATH, span).first() {
                return Some(
                    Evaluation::pass(
                        span,
                        format!("an AUTH token is set, computed from {}", source.address),
                    )
                    .attribute(PATH),
                );
            }
            Some(
                Evaluation::unknown(
                    span,
                    format!(
                        "`auth_token` cannot be known offline and may be null, which leaves \
                         the group without authentication: {}",
                        unknown_value.reason
                    ),
                )
                .attribute(PATH),
            )
        }
    }
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
                 cannot require authentication",
            )
            .attribute("engine"),
        ),
        Engine::RedisLike { .. } => Some(
            Evaluation::fail(
                span,
                "a standalone `aws_elasticache_cluster` running Redis OSS or Valkey cannot \
                 require authentication; create an `aws_elasticache_replication_group` with \
                 `user_group_ids` or an `auth_token` instead",
            )
            .attribute("auth_token")
            .expected("auth_token or user_group_ids")
            .found("not supported on aws_elasticache_cluster"),
        ),
    }
}
