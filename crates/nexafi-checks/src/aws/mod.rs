//! Checks of AWS resources in Terraform. Each service module lists its own checks.

use crate::Check;

pub mod backup;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod config;
pub mod ec2;
pub mod eks;
pub mod elasticache;
pub mod guardduty;
pub mod iam;
pub mod kms;
pub mod rds;
pub mod s3;
pub mod support;

/// Returns every AWS check, service by service.
pub fn checks() -> impl Iterator<Item = &'static Check> {
    [
        backup::CHECKS,
        cloudtrail::CHECKS,
        cloudwatch::CHECKS,
        config::CHECKS,
        ec2::CHECKS,
        eks::CHECKS,
        elasticache::CHECKS,
        guardduty::CHECKS,
        iam::CHECKS,
        kms::CHECKS,
        rds::CHECKS,
        s3::CHECKS,
    ]
    .into_iter()
    .flatten()
    .copied()
}
