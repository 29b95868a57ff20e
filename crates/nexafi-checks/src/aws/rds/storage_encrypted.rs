use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Value,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-RDS-001",
        slug: "rds-storage-unencrypted",
        title: "RDS instances and Aurora clusters encrypt their storage",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_db_instance", "aws_rds_cluster"],
        categories: &["enc-at-rest"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_16", "CKV_AWS_96"],
        references: &[
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/db_instance#storage_encrypted",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/rds_cluster#storage_encrypted",
        ],
        docs: CheckDocs {
            what: "Reads `storage_encrypted` on every `aws_db_instance` and `aws_rds_cluster`. It \
                   fails when the attribute is false, or omitted where the provider default \
                   (false) applies. Aurora Serverless v1 clusters (`engine_mode = \"serverless\"`) \
                   pass whatever the attribute says, because AWS always encrypts their volume. \
                   An instance that omits the attribute and is a read replica \
                   (`replicate_source_db`) takes the encryption of its source: the check \
                   passes when `kms_key_id` is set (a cross-region encrypted replica), follows \
                   the reference to a source instance in the same configuration, and returns \
                   unknown otherwise. A database restored from a snapshot or a point in time, or \
                   a secondary cluster of a global database, inherits encryption from its source, \
                   so an omitted attribute there is unknown.",
            why: "Database volumes, their automated backups, snapshots and read replicas hold \
                  account and payment data. PCI DSS requirement 3.5.1 and GDPR article 32 expect \
                  that data to be unreadable without a key. RDS can only encrypt a database when \
                  it is created: turning it on later means a snapshot copy and a restore with \
                  downtime, so an unencrypted database is expensive to fix once it holds data.",
            fix: "Set `storage_encrypted = true` when the database is created, preferably with a \
                  customer-managed key:\n\n```hcl\nresource \"aws_db_instance\" \"ledger\" {\n  \
                  storage_encrypted = true\n  kms_key_id        = aws_kms_key.rds.arn\n}\n```\n\n\
                  For an existing unencrypted database, copy a snapshot with encryption enabled \
                  and restore from the copy.",
            limitations: "The encryption of a snapshot, a point-in-time source or a global \
                          cluster is not visible offline, so those databases are unknown \
                          unless `storage_encrypted` is set. A read replica whose source is \
                          named by a literal identifier rather than a reference cannot be \
                          followed and is unknown. The check does not require a \
                          customer-managed key: `kms_key_id` may be omitted, and RDS then uses \
                          the AWS managed key `aws/rds`.",
        },
    },
    cases: include_str!("storage_encrypted.cases.yaml"),
    evaluate,
};

const PATH: &str = "storage_encrypted";
const FIX: &str = "set `storage_encrypted = true` (an existing database needs an encrypted \
                   snapshot copy and a restore)";

/// How many replica hops are followed back to a source instance; a chain of replicas of
/// replicas is rare and the limit stops reference cycles.
const MAX_REPLICA_DEPTH: usize = 4;

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    let evaluation = match resource.kind.as_str() {
        "aws_rds_cluster" => evaluate_cluster(resource),
        _ => evaluate_instance(resource, model, 0),
    };
    vec![evaluation]
}

fn evaluate_cluster(cluster: &Resource) -> Evaluation {
    match cluster.body.lookup("engine_mode") {
        Lookup::Present(mode) if mode.as_str() == Some("serverless") => {
            return Evaluation::pass(
                mode.span,
                "Aurora Serverless v1 clusters (`engine_mode = \"serverless\"`) are always \
                 encrypted",
            )
            .attribute(PATH);
        }
        Lookup::Unknown(unknown_value, span) if cluster.body.lookup(PATH).is_missing() => {
            return Evaluation::unknown(
                span,
                format!(
                    "`engine_mode` cannot be known offline, and the default of \
                     `storage_encrypted` depends on it: {}",
                    unknown_value.reason
                ),
            )
            .attribute(PATH);
        }
        _ => {}
    }

    if cluster.body.lookup(PATH).is_missing()
        && let Some(source) = inherited_source(
            cluster,
            &[
                "snapshot_identifier",
                "replication_source_identifier",
                "global_cluster_identifier",
                "restore_to_point_in_time",
            ],
        )
    {
        return inherits_unknown(cluster, source);
    }
    bool_attribute(cluster, PATH, true, false, FIX)
}

fn evaluate_instance(instance: &Resource, model: &Model, depth: usize) -> Evaluation {
    if !instance.body.lookup(PATH).is_missing() {
        return bool_attribute(instance, PATH, true, false, FIX);
    }

    if is_set(instance.body.lookup("replicate_source_db")) {
        return evaluate_replica(instance, model, depth);
    }
    if let Some(source) = inherited_source(
        instance,
        &["snapshot_identifier", "restore_to_point_in_time"],
    ) {
        return inherits_unknown(instance, source);
    }
    bool_attribute(instance, PATH, true, false, FIX)
}

/// Decides an instance that omits `storage_encrypted` and replicates another instance.
fn evaluate_replica(replica: &Resource, model: &Model, depth: usize) -> Evaluation {
    if let Lookup::Present(key) = replica.body.lookup("kms_key_id")
        && key.as_str().is_none_or(|text| !text.trim().is_empty())
    {
        return Evaluation::pass(
            key.span,
            "the read replica sets `kms_key_id`, so RDS encrypts it with that key",
        )
        .attribute("kms_key_id");
    }

    let source = model
        .referenced(replica, "replicate_source_db")
        .find(|candidate| candidate.kind == "aws_db_instance");
    let span = replica
        .body
        .get("replicate_source_db")
        .map_or(replica.name_span, |node| node.span);
    match source {
        Some(source) if depth < MAX_REPLICA_DEPTH => {
            let inherited = evaluate_instance(source, model, depth + 1);
            let message = format!(
                "`storage_encrypted` is omitted, so the read replica takes the encryption of \
                 its source {}: {}",
                source.address, inherited.message
            );
            Evaluation {
                message,
                span,
                attribute: Some(PATH.to_owned()),
                ..inherited
            }
        }
        _ => Evaluation::unknown(
            span,
            "`storage_encrypted` is omitted, so the read replica takes the encryption of its \
             source database, which is not part of this configuration",
        )
        .attribute(PATH),
    }
}

/// Returns the first of `attributes` that is set, when the database copies its storage
/// from a snapshot, another database or a global cluster.
fn inherited_source<'a>(resource: &Resource, attributes: &[&'a str]) -> Option<&'a str> {
    attributes
        .iter()
        .copied()
        .find(|attribute| is_set(resource.body.lookup(attribute)))
}

/// Returns true for a value that is present and not empty, or unknown.
fn is_set(lookup: Lookup<'_>) -> bool {
    match lookup {
        Lookup::Missing => false,
        Lookup::Unknown(..) => true,
        Lookup::Present(node) => match &node.value {
            Value::String(text) => !text.trim().is_empty(),
            Value::List(items) => !items.is_empty(),
            _ => true,
        },
    }
}

fn inherits_unknown(resource: &Resource, source: &str) -> Evaluation {
    let span = resource
        .body
        .get(source)
        .map_or(resource.name_span, |node| node.span);
    Evaluation::unknown(
        span,
        format!(
            "`storage_encrypted` is omitted and the database is created from `{source}`, whose \
             encryption cannot be known offline; set `storage_encrypted = true` to make it explicit"
        ),
    )
    .attribute(PATH)
}
