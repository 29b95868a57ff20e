//! AWS Key Management Service.

use crate::Check;

pub mod key_rotation;

pub static CHECKS: &[&Check] = &[&key_rotation::CHECK];
