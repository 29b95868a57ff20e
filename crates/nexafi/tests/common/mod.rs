//! Helpers shared by the test binaries that run `nexafi` on files in temporary
//! directories.

// Each test binary uses its own part of this module.
#![allow(dead_code)]
// A panic in a test helper is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;

/// The `nexafi` binary with a predictable environment: no log filter, no colours.
pub fn nexafi() -> Command {
    let mut command = Command::cargo_bin("nexafi").unwrap();
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

/// Writes `text` to `root/name`, creating the parent directories.
pub fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Account-wide services every AWS root module needs, so that a tree containing them
/// fails only where a test wants it to.
pub const ACCOUNT_BASELINE: &str = r#"
resource "aws_guardduty_detector" "main" {
  enable = true
}

resource "aws_config_configuration_recorder" "main" {
  name     = "main"
  role_arn = "arn:aws:iam::111122223333:role/config"
}

resource "aws_config_delivery_channel" "main" {
  name           = "main"
  s3_bucket_name = "config-history"
}

resource "aws_config_configuration_recorder_status" "main" {
  name       = aws_config_configuration_recorder.main.name
  is_enabled = true
}
"#;
