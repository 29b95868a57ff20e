//! AWS Key Management Service.

use crate::Check;

pub mod key_policy_wildcard;
pub mod key_rotation;

pub static CHECKS: &[&Check] = &[&key_rotation::CHECK, &key_policy_wildcard::CHECK];
