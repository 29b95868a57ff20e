//! Checks of Dockerfile build stages.

use crate::Check;

/// Every Dockerfile check.
pub static CHECKS: &[&Check] = &[];
