//! Checks of Dockerfile build stages. Each stage is one resource; the helpers in
//! `support` read its instructions and expand its variables.

use crate::Check;

pub mod add_remote_url;
pub mod base_image_digest;
pub mod base_image_tag;
pub mod healthcheck;
pub mod non_root_user;
pub mod remote_script_pipe;
pub mod secret_in_env_arg;
pub mod support;

/// Every Dockerfile check.
pub static CHECKS: &[&Check] = &[
    &non_root_user::CHECK,
    &base_image_digest::CHECK,
    &base_image_tag::CHECK,
    &add_remote_url::CHECK,
    &secret_in_env_arg::CHECK,
    &healthcheck::CHECK,
    &remote_script_pipe::CHECK,
];
