//! CPU and memory requests and limits of containers, with the defaults that a
//! LimitRange in the same namespace supplies.

use nexafi_model::{Lookup, Model, Node, Resource};

use crate::Check;
use crate::kubernetes::object::{self, map_entry};

pub mod limits;
pub mod requests;

pub static CHECKS: &[&Check] = &[&limits::CHECK, &requests::CHECK];

/// The two resources both checks read.
pub const RESOURCES: &[&str] = &["cpu", "memory"];

/// Kind of LimitRange default to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitRangeDefault {
    /// The limit a container gets when it sets none: `default`, else `max`.
    Limit,
    /// The request a container gets when it sets none: `defaultRequest`, else `default`,
    /// else `max`, else `min`.
    Request,
}

impl LimitRangeDefault {
    /// Returns the LimitRange fields the API server fills the default from, in order. The API
    /// server copies `max` into an omitted `default`, `default` into an omitted
    /// `defaultRequest`, and `min` into a still omitted `defaultRequest`, for items of
    /// type `Container`.
    fn fields(self) -> &'static [&'static str] {
        match self {
            LimitRangeDefault::Limit => &["default", "max"],
            LimitRangeDefault::Request => &["defaultRequest", "default", "max", "min"],
        }
    }
}

/// Finds a LimitRange in the scan, in the namespace of `workload`, that gives
/// containers a default for `resource` (`cpu` or `memory`). Returns its address and the
/// default value.
pub fn limit_range_default<'a>(
    model: &'a Model,
    workload: &'a Resource,
    resource: &str,
    kind: LimitRangeDefault,
) -> Option<(&'a str, &'a Node)> {
    let namespace = object::namespace(workload).name()?;
    model
        .in_group(workload, "LimitRange")
        .filter(|range| object::namespace(range).name() == Some(namespace))
        .find_map(|range| {
            let items = range.body.lookup("spec.limits").node()?.as_list()?;
            items
                .iter()
                .filter(|item| item.get("type").and_then(Node::as_str) == Some("Container"))
                .find_map(|item| {
                    kind.fields().iter().find_map(|field| {
                        let values = item.get(field)?;
                        match map_entry(values, resource) {
                            Lookup::Present(value) => Some(value),
                            _ => None,
                        }
                    })
                })
                .map(|value| (range.address.as_str(), value))
        })
}
