# AWS Backup: the long-term retention control. Recovery points go to a KMS-encrypted
# vault under Vault Lock in the primary region and are copied to a locked vault in the
# DR region. Each plan selects its resources by ARN, and the backup-plan tag on a
# resource names its plan for people and for Backup Audit Manager reports:
#
#   financial-4h  financial Aurora cluster, every 4 hours, kept 7 years
#   user-daily    user Aurora cluster, daily kept 3 years, plus a monthly copy kept 7 years
#   eks-daily     EKS cluster state and persistent volumes, daily kept 35 days, plus a
#                 monthly copy kept 7 years
#
# Seven years are 2557 days once two leap days are counted, so 2555 days could end two
# days short. These plans are not what meets the 15-minute RPO: Aurora point-in-time recovery
# and the Global Database do (see data.tf).
#
# The monthly 7-year copies of the user database keep customer records for as long as
# anti-money-laundering record keeping may require. A customer's right to erasure is
# honoured by crypto-shredding: personal fields are encrypted with per-customer keys, and
# destroying the key makes every copy unreadable, including locked recovery points.

locals {
  backup_vault_name    = "${local.name}-primary"
  backup_dr_vault_name = "${local.name}-dr"
  minimum_retention    = 35
  maximum_retention    = 2557

  # In compliance mode the lock becomes permanent after 3 days: nobody, not even the
  # root user, can delete recovery points early or lift the lock. Governance mode lets
  # principals with backup:DeleteBackupVaultLockConfiguration remove it, which dev and
  # staging need to be torn down.
  lock_changeable_for_days = var.immutability_mode == "COMPLIANCE" ? 3 : null

  backup_vault_events = [
    "BACKUP_JOB_FAILED",
    "BACKUP_JOB_EXPIRED",
    "COPY_JOB_FAILED",
    "RESTORE_JOB_FAILED",
    "RESTORE_JOB_SUCCESSFUL",
    "RECOVERY_POINT_MODIFIED",
    "BACKUP_PLAN_MODIFIED",
  ]
}

resource "aws_backup_vault" "primary" {
  name          = local.backup_vault_name
  kms_key_arn   = local.primary_keys["backup"]
  force_destroy = false
  tags          = { "data-classification" = "restricted", "pci-scope" = "in-scope" }
}

resource "aws_backup_vault_lock_configuration" "primary" {
  backup_vault_name   = aws_backup_vault.primary.name
  min_retention_days  = local.minimum_retention
  max_retention_days  = local.maximum_retention
  changeable_for_days = local.lock_changeable_for_days
}

resource "aws_backup_vault" "dr" {
  provider = aws.dr

  name          = local.backup_dr_vault_name
  kms_key_arn   = local.dr_keys["backup"]
  force_destroy = false
  tags          = { "data-classification" = "restricted", "pci-scope" = "in-scope" }
}

resource "aws_backup_vault_lock_configuration" "dr" {
  provider = aws.dr

  backup_vault_name   = aws_backup_vault.dr.name
  min_retention_days  = local.minimum_retention
  max_retention_days  = local.maximum_retention
  changeable_for_days = local.lock_changeable_for_days
}

# Failed jobs and any change to a recovery point or plan are announced.
resource "aws_sns_topic" "backup_notifications" {
  name              = "${local.name}-backup-notifications"
  kms_master_key_id = local.primary_keys["sns"]
}

resource "aws_sns_topic_subscription" "backup_notifications" {
  for_each = toset(var.security_alert_emails)

  topic_arn = aws_sns_topic.backup_notifications.arn
  protocol  = "email"
  endpoint  = each.key
}

data "aws_iam_policy_document" "backup_notifications" {
  statement {
    sid       = "AwsBackupPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.backup_notifications.arn]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "backup_notifications" {
  arn    = aws_sns_topic.backup_notifications.arn
  policy = data.aws_iam_policy_document.backup_notifications.json
}

resource "aws_backup_vault_notifications" "primary" {
  backup_vault_name   = aws_backup_vault.primary.name
  sns_topic_arn       = aws_sns_topic.backup_notifications.arn
  backup_vault_events = local.backup_vault_events
}

# The role AWS Backup uses to back up, copy and restore.
data "aws_iam_policy_document" "backup_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "backup" {
  name               = "${local.name}-backup"
  assume_role_policy = data.aws_iam_policy_document.backup_trust.json
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset([
    "AWSBackupServiceRolePolicyForBackup",
    "AWSBackupServiceRolePolicyForRestores",
  ])

  role       = aws_iam_role.backup.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/${each.key}"
}

resource "aws_backup_plan" "financial" {
  name = "${local.name}-financial-4h"

  rule {
    rule_name         = "every-4-hours-7y"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 */4 * * ? *)"
    start_window      = 60
    completion_window = 180

    lifecycle {
      delete_after = 2557
    }

    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn

      lifecycle {
        delete_after = 2557
      }
    }

    recovery_point_tags = { "backup-plan" = "financial-4h", "data-classification" = "restricted" }
  }

  tags = { "pci-scope" = "in-scope" }
}

resource "aws_backup_plan" "user" {
  name = "${local.name}-user-daily"

  rule {
    rule_name         = "daily-3y"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 2 * * ? *)"
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = 1095
    }

    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn

      lifecycle {
        delete_after = 1095
      }
    }

    recovery_point_tags = { "backup-plan" = "user-daily", "data-classification" = "confidential" }
  }

  rule {
    rule_name         = "monthly-7y"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 3 1 * ? *)"
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = 2557
    }

    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn

      lifecycle {
        delete_after = 2557
      }
    }

    recovery_point_tags = { "backup-plan" = "user-daily", "data-classification" = "confidential" }
  }
}

resource "aws_backup_plan" "eks" {
  name = "${local.name}-eks-daily"

  rule {
    rule_name         = "daily-35d"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 1 * * ? *)"
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = 35
    }

    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn

      lifecycle {
        delete_after = 35
      }
    }

    recovery_point_tags = { "backup-plan" = "eks-daily" }
  }

  rule {
    rule_name         = "monthly-7y"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 4 1 * ? *)"
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = 2557
    }

    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn

      lifecycle {
        delete_after = 2557
      }
    }

    recovery_point_tags = { "backup-plan" = "eks-daily" }
  }
}

resource "aws_backup_selection" "financial" {
  name         = "financial-aurora"
  plan_id      = aws_backup_plan.financial.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [module.financial_db.arn]
}

resource "aws_backup_selection" "user" {
  name         = "user-aurora"
  plan_id      = aws_backup_plan.user.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [module.user_db.arn]
}

resource "aws_backup_selection" "eks" {
  name         = "eks-clusters"
  plan_id      = aws_backup_plan.eks.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [module.eks_primary.arn]
}

# Weekly restore test: every Sunday AWS Backup restores the latest recovery point of
# each Aurora cluster, runs its validation window and deletes the copy. The restore
# job results are the evidence that backups can actually be restored.
resource "aws_backup_restore_testing_plan" "weekly" {
  name                = "${replace(local.name, "-", "_")}_weekly_restore"
  schedule_expression = "cron(0 5 ? * SUN *)"
  start_window_hours  = 2

  recovery_point_selection {
    algorithm             = "LATEST_WITHIN_WINDOW"
    include_vaults        = [aws_backup_vault.primary.arn]
    recovery_point_types  = ["SNAPSHOT"]
    selection_window_days = 7
  }
}

resource "aws_backup_restore_testing_selection" "aurora" {
  name                      = "aurora_clusters"
  restore_testing_plan_name = aws_backup_restore_testing_plan.weekly.name
  protected_resource_type   = "Aurora"
  iam_role_arn              = aws_iam_role.backup.arn
  protected_resource_arns   = [module.financial_db.arn, module.user_db.arn]
  validation_window_hours   = 2
}

# Backup Audit Manager: controls evaluated continuously, reported daily to a bucket
# auditors can read.
resource "aws_backup_framework" "this" {
  name        = "${replace(local.name, "-", "_")}_retention"
  description = "Frequency, retention, encryption, Vault Lock and cross-region copy of NexaFi backups"

  control {
    name = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"

    # Every plan creates a recovery point at least once a day and keeps it 35 days or more.
    input_parameter {
      name  = "requiredFrequencyUnit"
      value = "days"
    }

    input_parameter {
      name  = "requiredFrequencyValue"
      value = "1"
    }

    input_parameter {
      name  = "requiredRetentionDays"
      value = "35"
    }
  }

  control {
    name = "BACKUP_RECOVERY_POINT_ENCRYPTED"
  }

  control {
    name = "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"
  }

  control {
    name = "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"
  }

  control {
    name = "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"

    input_parameter {
      name  = "crossRegionList"
      value = var.dr_region
    }
  }

  control {
    name = "BACKUP_LAST_RECOVERY_POINT_CREATED"

    input_parameter {
      name  = "recoveryPointAgeUnit"
      value = "hours"
    }

    input_parameter {
      name  = "recoveryPointAgeValue"
      value = "25"
    }
  }

  depends_on = [module.security_primary]
}

module "backup_reports_bucket" {
  source = "./modules/secure-bucket"

  name                              = "${local.bucket_prefix}-backup-reports"
  kms_key_arn                       = local.primary_keys["s3"]
  object_lock_mode                  = var.immutability_mode
  object_lock_retention_days        = var.audit_log_retention_days
  expiration_days                   = var.audit_log_retention_days
  noncurrent_version_retention_days = 30
  access_log_bucket                 = module.access_logs_bucket.id
  extra_policy_json                 = data.aws_iam_policy_document.backup_reports_delivery.json
  tags                              = { "data-classification" = "internal" }
}

data "aws_iam_policy_document" "backup_reports_delivery" {
  statement {
    sid       = "BackupAuditManagerWrite"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-backup-reports/*"]

    principals {
      type        = "AWS"
      identifiers = [local.backup_reports_role_arn]
    }
  }
}

resource "aws_backup_report_plan" "controls" {
  name        = "${replace(local.name, "-", "_")}_control_compliance"
  description = "Daily compliance of the backup controls"

  report_delivery_channel {
    s3_bucket_name = module.backup_reports_bucket.id
    s3_key_prefix  = "controls"
    formats        = ["CSV", "JSON"]
  }

  report_setting {
    report_template = "CONTROL_COMPLIANCE_REPORT"
    framework_arns  = [aws_backup_framework.this.arn]
  }
}

resource "aws_backup_report_plan" "jobs" {
  for_each = toset(["BACKUP_JOB_REPORT", "COPY_JOB_REPORT", "RESTORE_JOB_REPORT"])

  name        = "${replace(local.name, "-", "_")}_${lower(each.key)}"
  description = "Daily ${lower(replace(each.key, "_", " "))}"

  report_delivery_channel {
    s3_bucket_name = module.backup_reports_bucket.id
    s3_key_prefix  = lower(replace(each.key, "_", "-"))
    formats        = ["CSV", "JSON"]
  }

  report_setting {
    report_template = each.key
  }
}

# Buckets for Kubernetes-level backups: Velero backups of the namespaces and the Vault
# raft snapshots taken by the CronJob in kubernetes/backup-recovery. Both use the backup
# key (the manifests name alias/nexafi-<environment>-backup) and are replicated to the
# DR region, where a regional restore starts.
#
# Velero deletes its expired backups itself (TTLs of 3 to 90 days), so its bucket has
# Object Lock without a default retention: a default would make those deletions fail.
# Vault snapshots get a 35-day compliance-mode retention and expire after 90 days.

module "velero_bucket" {
  source = "./modules/secure-bucket"

  name                              = "${local.bucket_prefix}-velero"
  kms_key_arn                       = local.primary_keys["backup"]
  object_lock_retention_days        = 0
  noncurrent_version_retention_days = 7
  access_log_bucket                 = module.access_logs_bucket.id
  tags                              = { "data-classification" = "restricted", "pci-scope" = "in-scope" }

  replication = {
    destination_bucket_arn  = module.velero_bucket_dr.arn
    destination_kms_key_arn = local.dr_keys["backup"]
  }
}

module "velero_bucket_dr" {
  source = "./modules/secure-bucket"
  providers = {
    aws = aws.dr
  }

  name                              = "${local.bucket_prefix}-velero-dr"
  kms_key_arn                       = local.dr_keys["backup"]
  object_lock_retention_days        = 0
  noncurrent_version_retention_days = 7
  access_log_bucket                 = module.access_logs_bucket_dr.id
  tags                              = { "data-classification" = "restricted", "pci-scope" = "in-scope" }
}

module "vault_snapshots_bucket" {
  source = "./modules/secure-bucket"

  name                              = "${local.bucket_prefix}-vault-snapshots"
  kms_key_arn                       = local.primary_keys["backup"]
  object_lock_mode                  = var.immutability_mode
  object_lock_retention_days        = 35
  expiration_days                   = 90
  noncurrent_version_retention_days = 35
  access_log_bucket                 = module.access_logs_bucket.id
  tags                              = { "data-classification" = "restricted", "pci-scope" = "in-scope" }

  replication = {
    destination_bucket_arn  = module.vault_snapshots_bucket_dr.arn
    destination_kms_key_arn = local.dr_keys["backup"]
  }
}

module "vault_snapshots_bucket_dr" {
  source = "./modules/secure-bucket"
  providers = {
    aws = aws.dr
  }

  name                              = "${local.bucket_prefix}-vault-snapshots-dr"
  kms_key_arn                       = local.dr_keys["backup"]
  object_lock_mode                  = var.immutability_mode
  object_lock_retention_days        = 35
  expiration_days                   = 90
  noncurrent_version_retention_days = 35
  access_log_bucket                 = module.access_logs_bucket_dr.id
  tags                              = { "data-classification" = "restricted", "pci-scope" = "in-scope" }
}
