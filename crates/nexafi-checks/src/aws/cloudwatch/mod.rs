//! Amazon CloudWatch Logs.

use crate::Check;

pub mod log_encryption;
pub mod log_retention;

pub static CHECKS: &[&Check] = &[&log_retention::CHECK, &log_encryption::CHECK];
