//! Amazon ElastiCache.

use crate::Check;

pub mod at_rest_encryption;
pub mod auth;
mod support;
pub mod transit_encryption;

pub static CHECKS: &[&Check] = &[
    &at_rest_encryption::CHECK,
    &transit_encryption::CHECK,
    &auth::CHECK,
];
