# Creates what the main root module's S3 backend needs before it can run: the state
# bucket and its KMS key, in the environment's account and primary region. Run it once
# per account with local state, then move that state into the new bucket:
#
#   terraform init && terraform apply -var environment=prod -var account_id=111122223333
#   (add a backend "s3" block like ../versions.tf, then) terraform init -migrate-state
#
# The main root module's environments/<env>.s3.tfbackend files name these resources.

terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.59.0"
    }
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      project     = "nexafi"
      environment = var.environment
      managed-by  = "terraform"
    }
  }
}

variable "environment" {
  description = "Environment whose state the bucket holds: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "account_id" {
  description = "AWS account of the environment."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit id of the environment's AWS account."
  }
}

variable "region" {
  description = "Region of the state bucket; the primary region of the platform."
  type        = string
  default     = "eu-west-1"
}

locals {
  name = "nexafi-${var.environment}"
}

# Terraform state contains resource attributes such as endpoints and ARNs, so it is
# encrypted with a key of its own that only this account administers.
resource "aws_kms_key" "state" {
  description             = "Terraform state of ${local.name}"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "S3ServerAccessLogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
    ]
  })

  tags = { Name = "${local.name}-terraform-state", "data-classification" = "restricted" }
}

resource "aws_kms_alias" "state" {
  name          = "alias/${local.name}-terraform-state"
  target_key_id = aws_kms_key.state.key_id
}

module "access_logs" {
  source = "../modules/secure-bucket"

  name                              = "${local.name}-terraform-state-access-logs"
  kms_key_arn                       = aws_kms_key.state.arn
  object_lock_retention_days        = 0
  noncurrent_version_retention_days = 400
  extra_policy_json                 = data.aws_iam_policy_document.access_log_delivery.json
  tags                              = { "data-classification" = "internal" }
}

data "aws_iam_policy_document" "access_log_delivery" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.name}-terraform-state-access-logs/s3/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# Every state version is kept for 90 days, and none can be deleted for 30 days
# (governance mode, so a corrupted state can still be repaired by an administrator).
module "state" {
  source = "../modules/secure-bucket"

  name                              = "${local.name}-terraform-state"
  kms_key_arn                       = aws_kms_key.state.arn
  object_lock_mode                  = "GOVERNANCE"
  object_lock_retention_days        = 30
  noncurrent_version_retention_days = 90
  access_log_bucket                 = module.access_logs.id
  tags                              = { "data-classification" = "restricted" }
}

output "state_bucket" {
  description = "Bucket for the backend's bucket setting."
  value       = module.state.id
}

output "state_kms_key_alias" {
  description = "Key alias for the backend's kms_key_id setting."
  value       = aws_kms_alias.state.name
}
