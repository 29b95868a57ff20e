//! AWS Identity and Access Management.

use crate::Check;

pub mod admin_managed_policy;
pub mod admin_policy;
pub mod user_policy;

pub static CHECKS: &[&Check] = &[
    &admin_policy::CHECK,
    &admin_managed_policy::CHECK,
    &user_policy::CHECK,
];
