# Detective and preventive services that AWS runs per region: GuardDuty with EKS and
# runtime protection, Security Hub with the PCI DSS 4.0.1, AWS Foundational Security
# Best Practices and CIS standards, AWS Config recording every resource type with a
# PCI DSS conformance pack, IAM Access Analyzer and default EBS encryption.

locals {
  standards = {
    pci-dss     = "arn:${var.partition}:securityhub:${var.region}::standards/pci-dss/v/4.0.1"
    aws-fsbp    = "arn:${var.partition}:securityhub:${var.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
    cis-aws-3_0 = "arn:${var.partition}:securityhub:${var.region}::standards/cis-aws-foundations-benchmark/v/3.0.0"
  }

  # Protection plans of the GuardDuty detector. EKS runtime monitoring is part of
  # RUNTIME_MONITORING with agent management, and the API rejects enabling
  # EKS_RUNTIME_MONITORING as well.
  guardduty_features = ["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS"]
}

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:Each environment is a member account of an AWS Organization; auto-enabling GuardDuty for the organization belongs to its delegated administrator account, outside this repository
  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
  tags                         = var.tags
}

resource "aws_guardduty_detector_feature" "this" {
  for_each = toset(local.guardduty_features)

  detector_id = aws_guardduty_detector.this.id
  name        = each.key
  status      = "ENABLED"
}

resource "aws_guardduty_detector_feature" "runtime_monitoring" {
  detector_id = aws_guardduty_detector.this.id
  name        = "RUNTIME_MONITORING"
  status      = "ENABLED"

  additional_configuration {
    name   = "EKS_ADDON_MANAGEMENT"
    status = "ENABLED"
  }
}

resource "aws_securityhub_account" "this" {
  enable_default_standards  = false
  control_finding_generator = "SECURITY_CONTROL"
  auto_enable_controls      = true
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = local.standards

  standards_arn = each.value
  depends_on    = [aws_securityhub_account.this]
}

# AWS Config. Global resource types (IAM) are recorded in the primary region only, so
# each change is recorded once.
data "aws_iam_policy_document" "config_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "config" {
  name               = "${var.name}-config-${var.region}"
  assume_role_policy = data.aws_iam_policy_document.config_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "config" {
  role       = aws_iam_role.config.name
  policy_arn = "arn:${var.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

data "aws_iam_policy_document" "config_delivery" {
  statement {
    sid       = "WriteConfigHistory"
    actions   = ["s3:PutObject"]
    resources = ["${var.config_bucket_arn}/AWSLogs/${var.account_id}/Config/*"]
  }

  statement {
    sid       = "ReadBucketAcl"
    actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
    resources = [var.config_bucket_arn]
  }

  statement {
    sid       = "EncryptConfigHistory"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.config_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "config_delivery" {
  name   = "deliver-config-history"
  role   = aws_iam_role.config.id
  policy = data.aws_iam_policy_document.config_delivery.json
}

resource "aws_config_configuration_recorder" "this" {
  #checkov:skip=CKV2_AWS_48:Global resource types such as IAM are recorded by the primary-region recorder only (record_global_resources); recording them in every region would duplicate each configuration item
  name     = "${var.name}-${var.region}"
  role_arn = aws_iam_role.config.arn

  recording_group {
    all_supported                 = true
    include_global_resource_types = var.record_global_resources
  }

  recording_mode {
    recording_frequency = "CONTINUOUS"
  }
}

resource "aws_config_delivery_channel" "this" {
  name           = "${var.name}-${var.region}"
  s3_bucket_name = var.config_bucket_name
  s3_kms_key_arn = var.config_kms_key_arn

  snapshot_delivery_properties {
    delivery_frequency = "Six_Hours"
  }

  depends_on = [aws_config_configuration_recorder.this]
}

resource "aws_config_configuration_recorder_status" "this" {
  name       = aws_config_configuration_recorder.this.name
  is_enabled = true
  depends_on = [aws_config_delivery_channel.this]
}

resource "aws_config_conformance_pack" "pci_dss" {
  name          = "${var.name}-pci-dss-v4"
  template_body = var.conformance_pack_template

  depends_on = [aws_config_configuration_recorder_status.this]
}

resource "aws_accessanalyzer_analyzer" "this" {
  analyzer_name = "${var.name}-${var.region}"
  type          = "ACCOUNT"
  tags          = var.tags
}

resource "aws_ebs_encryption_by_default" "this" {
  enabled = true
}

resource "aws_ebs_default_kms_key" "this" {
  key_arn = var.ebs_kms_key_arn
}
