//! TODO

use crate::Check;

pub static CHECKS: &[&Check] = &[];
