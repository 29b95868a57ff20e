//! Checks of Kubernetes objects. Each area module lists its own checks; `pod` and
//! `object` hold what they share.

use crate::Check;

pub mod object;
pub mod pod;
pub mod pod_security;

/// Every Kubernetes check.
pub static CHECKS: &[&Check] = &[&pod_security::privileged::CHECK];
