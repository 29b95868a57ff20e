//! AWS Backup.

use crate::Check;

pub mod cross_region_copy;
pub mod plan_retention;
pub mod vault_encryption;
pub mod vault_lock;

pub static CHECKS: &[&Check] = &[
    &plan_retention::CHECK,
    &cross_region_copy::CHECK,
    &vault_lock::CHECK,
    &vault_encryption::CHECK,
];
