//! Links from resources to the VPC they belong to.

use nexafi_model::{Lookup, Resource};

use crate::aws::support::path_without_indexes;

/// VPC kinds a `vpc_id` reference can point at.
const VPC_KINDS: &[&str] = &["aws_vpc", "aws_default_vpc"];

pub(crate) enum VpcLink {
    Yes,
    No,
    /// The attribute cannot be resolved offline, with the reason.
    Undetermined(String),
}

/// Decides whether the attribute `attribute` (`vpc_id`) of `resource` names `vpc`.
///
/// VPC ids are assigned by AWS, so only a reference edge can name a VPC of the same
/// code. An unknown value without an edge to any VPC may name this one.
pub(crate) fn link_to_vpc(resource: &Resource, attribute: &str, vpc: &Resource) -> VpcLink {
    let edges: Vec<_> = resource
        .references
        .iter()
        .filter(|reference| {
            path_without_indexes(&reference.attribute) == attribute
                && VPC_KINDS.iter().any(|kind| {
                    nexafi_model::strip_instance_key(&reference.target)
                        .rsplit('.')
                        .nth(1)
                        == Some(kind)
                })
        })
        .collect();
    if edges.iter().any(|reference| vpc.is_target_of(reference)) {
        return VpcLink::Yes;
    }
    if !edges.is_empty() {
        return VpcLink::No;
    }
    match resource.body.lookup(attribute) {
        Lookup::Unknown(unknown, _) => VpcLink::Undetermined(format!(
            "its `{attribute}` cannot be known offline: {}",
            unknown.reason
        )),
        Lookup::Present(_) | Lookup::Missing => VpcLink::No,
    }
}
