//! Amazon S3: encryption, public access, versioning, logging, Object Lock and TLS of
//! buckets, whether configured inline or through the split resources of AWS provider v4.

use crate::Check;

mod bucket;
mod sse;

pub mod access_logging;
pub mod encryption;
pub mod encryption_cmk;
pub mod object_lock;
pub mod public_access_block;
pub mod public_acl;
pub mod secure_transport;
pub mod versioning;

pub static CHECKS: &[&Check] = &[
    &encryption::CHECK,
    &encryption_cmk::CHECK,
    &public_access_block::CHECK,
    &versioning::CHECK,
    &access_logging::CHECK,
    &object_lock::CHECK,
    &secure_transport::CHECK,
    &public_acl::CHECK,
];
