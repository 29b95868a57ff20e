//! AWS Config.

use crate::Check;

pub mod recorder_all_resources;
pub mod recorder_enabled;

pub static CHECKS: &[&Check] = &[&recorder_enabled::CHECK, &recorder_all_resources::CHECK];
