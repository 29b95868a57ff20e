//! AWS CloudTrail: trails that cover every region, sign, encrypt and forward their logs.

use crate::Check;

pub mod cloudwatch_logs;
pub mod kms_encryption;
pub mod log_validation;
pub mod logging_enabled;
pub mod multi_region;

pub static CHECKS: &[&Check] = &[
    &multi_region::CHECK,
    &log_validation::CHECK,
    &kms_encryption::CHECK,
    &cloudwatch_logs::CHECK,
    &logging_enabled::CHECK,
];
