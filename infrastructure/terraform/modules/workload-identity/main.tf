# IAM roles of the pods that call AWS, bound to their Kubernetes ServiceAccounts with EKS
# Pod Identity, so no pod holds long-lived AWS credentials. The snapshot job's, the
# CloudWatch exporter's and the services' ServiceAccounts are those of
# kubernetes/backup-recovery, kubernetes/monitoring and the Helm chart (fullnameOverride
# nexafi). Velero and Vault are installed from their upstream charts, whose default
# server ServiceAccounts are velero-server and vault.

locals {
  rds_db_user_arns = [
    for cluster_resource_id in var.database_cluster_resource_ids :
    "arn:${var.partition}:rds-db:${var.region}:${var.account_id}:dbuser:${cluster_resource_id}/${var.database_user}"
  ]

  workloads = {
    velero = {
      namespace       = "velero"
      service_account = "velero-server"
    }
    vault = {
      namespace       = "vault"
      service_account = "vault"
    }
    vault-raft-snapshot = {
      namespace       = "vault"
      service_account = "vault-raft-snapshot"
    }
    financial-services = {
      namespace       = "nexafi-financial"
      service_account = "nexafi"
    }
    cloudwatch-exporter = {
      namespace       = "nexafi-monitoring"
      service_account = "cloudwatch-exporter"
    }
  }
}

data "aws_iam_policy_document" "pod_identity_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# Velero: its backup bucket and EBS snapshots of persistent volumes.
data "aws_iam_policy_document" "velero" {
  statement {
    sid       = "BackupBucketObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${var.velero_bucket_arn}/*"]
  }

  statement {
    sid       = "BackupBucketListing"
    actions   = ["s3:ListBucket"]
    resources = [var.velero_bucket_arn]
  }

  statement {
    sid = "VolumeSnapshots"
    actions = [
      "ec2:DescribeVolumes",
      "ec2:DescribeSnapshots",
      "ec2:CreateVolume",
      "ec2:CreateSnapshot",
      "ec2:DeleteSnapshot",
      "ec2:CreateTags",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  statement {
    sid       = "EncryptBackupsAndVolumes"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey", "kms:CreateGrant"]
    resources = [var.backup_kms_key_arn, var.ebs_kms_key_arn]
  }
}

# Vault server: auto-unseal with the (multi-Region) unseal key.
data "aws_iam_policy_document" "vault_unseal" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
    resources = [var.vault_unseal_kms_key_arn]
  }
}

# The raft snapshot CronJob: write new snapshots under raft/, nothing else.
data "aws_iam_policy_document" "vault_snapshot" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["${var.vault_snapshots_bucket_arn}/raft/*"]
  }

  statement {
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.backup_kms_key_arn]
  }
}

# The NexaFi services: IAM database authentication as one database user, and IAM
# authentication to the Valkey replication group.
data "aws_iam_policy_document" "financial_services" {
  statement {
    sid       = "DatabaseConnect"
    actions   = ["rds-db:connect"]
    resources = local.rds_db_user_arns
  }

  statement {
    sid       = "CacheConnect"
    actions   = ["elasticache:Connect"]
    resources = var.cache_arns
  }
}

# The CloudWatch exporter (kubernetes/monitoring/cloudwatch-exporter.yaml): read the WAF
# and EventBridge metrics behind the security alerts. Neither action supports resource-level
# permissions, so the statement names every resource and is held to the cluster's region.
data "aws_iam_policy_document" "cloudwatch_exporter" {
  statement {
    sid       = "ReadMetrics"
    actions   = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.workloads

  name               = "${var.iam_role_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
  tags               = var.tags
}

# One policy resource per workload, each naming its document directly, so that every
# policy can be read and reviewed on its own.
resource "aws_iam_role_policy" "velero" {
  name   = "velero"
  role   = aws_iam_role.this["velero"].id
  policy = data.aws_iam_policy_document.velero.json
}

resource "aws_iam_role_policy" "vault" {
  name   = "vault-unseal"
  role   = aws_iam_role.this["vault"].id
  policy = data.aws_iam_policy_document.vault_unseal.json
}

resource "aws_iam_role_policy" "vault_raft_snapshot" {
  name   = "vault-raft-snapshot"
  role   = aws_iam_role.this["vault-raft-snapshot"].id
  policy = data.aws_iam_policy_document.vault_snapshot.json
}

resource "aws_iam_role_policy" "financial_services" {
  name   = "financial-services"
  role   = aws_iam_role.this["financial-services"].id
  policy = data.aws_iam_policy_document.financial_services.json
}

resource "aws_iam_role_policy" "cloudwatch_exporter" {
  name   = "cloudwatch-exporter"
  role   = aws_iam_role.this["cloudwatch-exporter"].id
  policy = data.aws_iam_policy_document.cloudwatch_exporter.json
}

resource "aws_eks_pod_identity_association" "this" {
  for_each = local.workloads

  cluster_name    = var.cluster_name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.this[each.key].arn
  tags            = var.tags
}
