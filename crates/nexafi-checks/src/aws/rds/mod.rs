//! Amazon RDS and Aurora.

use crate::Check;

pub mod backup_retention;
pub mod deletion_protection;
pub mod iam_authentication;
pub mod log_exports;
pub mod publicly_accessible;
pub mod storage_encrypted;

pub static CHECKS: &[&Check] = &[
    &storage_encrypted::CHECK,
    &backup_retention::CHECK,
    &deletion_protection::CHECK,
    &publicly_accessible::CHECK,
    &iam_authentication::CHECK,
    &log_exports::CHECK,
];
