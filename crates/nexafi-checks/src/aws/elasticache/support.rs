//! Helpers shared by the ElastiCache checks: the engine of a resource, and whether a cache
//! cluster belongs to a replication group.

use nexafi_model::{Evaluation, Lookup, Resource};

/// The engine family of an ElastiCache resource, at the detail the checks need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Redis OSS or Valkey: both support encryption and AUTH on replication groups.
    RedisLike {
        valkey: bool,
    },
    Memcached,
    /// The `engine` attribute is unknown offline.
    Unknown,
}

/// Reads `engine`; `default` applies when it is omitted.
pub fn engine(resource: &Resource, default: Option<Engine>) -> Option<Engine> {
    match resource.body.lookup("engine") {
        Lookup::Missing => default,
        Lookup::Unknown(..) => Some(Engine::Unknown),
        Lookup::Present(node) => match node.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("redis") => Some(Engine::RedisLike { valkey: false }),
            Some("valkey") => Some(Engine::RedisLike { valkey: true }),
            Some("memcached") => Some(Engine::Memcached),
            _ => None,
        },
    }
}

/// Returns true when an `aws_elasticache_cluster` joins a replication group, whose own
/// settings then govern it.
pub fn is_group_member(cluster: &Resource) -> bool {
    !cluster.body.lookup("replication_group_id").is_missing()
}

/// Returns the unknown verdict for a secondary replication group of a global datastore
/// that omits `path`: the primary group's setting applies.
pub fn global_secondary(group: &Resource, path: &str) -> Option<Evaluation> {
    if !group.body.lookup(path).is_missing() {
        return None;
    }
    let member = group.body.get("global_replication_group_id")?;
    if member.is_null() {
        return None;
    }
    Some(
        Evaluation::unknown(
            member.span,
            format!(
                "`{path}` is omitted on a secondary replication group of a global datastore, \
                 so it follows the primary group, which this check does not resolve"
            ),
        )
        .attribute(path),
    )
}
