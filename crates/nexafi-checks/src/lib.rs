//! The built-in checks.
//!
//! A check is one file under `src/<input>/<service>/`, declaring a [`Check`] named
//! `CHECK`, with a cases file beside it (`<name>.cases.yaml`) holding pass, fail,
//! attribute-omitted and unknown cases. `tests/cases.rs` runs every case, and
//! `tests/registry.rs` fails any check that lacks documentation, valid categories or cases.

use nexafi_model::{CheckMeta, Evaluation, Model, Resource};

pub mod aws;
pub mod dockerfile;
pub mod kubernetes;

/// A check: its declaration, its cases and the function that evaluates one resource.
pub struct Check {
    pub meta: CheckMeta,
    /// The cases file, embedded so that tests and `checks explain` need no paths.
    pub cases: &'static str,
    /// Evaluates one resource of a kind listed in `meta.kinds`. An empty result means
    /// the check does not apply to this resource.
    pub evaluate: fn(&Resource, &Model) -> Vec<Evaluation>,
}

/// Returns every built-in check, sorted by id.
pub fn all() -> Vec<&'static Check> {
    let mut checks: Vec<&'static Check> = aws::checks()
        .chain(kubernetes::CHECKS.iter().copied())
        .chain(dockerfile::CHECKS.iter().copied())
        .collect();
    checks.sort_by_key(|check| check.meta.id);
    checks
}

/// Finds a check by id, slug or alias, ignoring case.
pub fn find(name: &str) -> Option<&'static Check> {
    all().into_iter().find(|check| {
        check.meta.id.eq_ignore_ascii_case(name)
            || check.meta.slug.eq_ignore_ascii_case(name)
            || check
                .meta
                .aliases
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(name))
    })
}
