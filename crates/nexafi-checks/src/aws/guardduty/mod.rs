//! Amazon GuardDuty.

use crate::Check;

pub mod detector_enabled;
pub mod protection_features;

pub static CHECKS: &[&Check] = &[&detector_enabled::CHECK, &protection_features::CHECK];
