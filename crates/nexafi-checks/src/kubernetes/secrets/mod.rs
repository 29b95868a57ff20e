//! Secrets in manifests: literal values in environment variables and data in Secret
//! objects.

use crate::Check;

pub mod env_literal;
pub mod manifest_data;

pub static CHECKS: &[&Check] = &[&env_literal::CHECK, &manifest_data::CHECK];
