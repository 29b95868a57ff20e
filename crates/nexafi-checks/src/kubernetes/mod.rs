//! Checks of Kubernetes objects.

use crate::Check;

/// Every Kubernetes check.
pub static CHECKS: &[&Check] = &[];
