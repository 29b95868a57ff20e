# NexaFi platform on AWS: one root module per environment (selected with -var-file),
# deployed to a primary region and a warm-standby DR region. This file contains the
# shared names and tags and the customer managed KMS keys. The other files group
# resources by concern (vpc.tf, eks.tf, data.tf, security.tf, backup.tf).

locals {
  name = "nexafi-${var.environment}"

  # Every resource carries these through the providers' default_tags. Resources that
  # hold regulated data add data-classification, pci-scope and backup-plan themselves.
  default_tags = {
    project     = "nexafi"
    environment = var.environment
    owner       = var.owner
    managed-by  = "terraform"
  }

  autoscaling_role_arn    = "arn:aws:iam::${var.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
  backup_reports_role_arn = "arn:aws:iam::${var.account_id}:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"

  # Data domains that get a key of their own in both regions. A separate key per domain
  # limits what one compromised grant can decrypt, and lets one domain be
  # crypto-shredded without touching the others.
  regional_key_domains = {
    eks = {
      description        = "Envelope encryption of Kubernetes Secrets"
      service_principals = []
    }
    ebs = {
      description              = "EBS volumes of EKS nodes and persistent volumes"
      service_principals       = []
      service_linked_role_arns = [local.autoscaling_role_arn]
    }
    rds = {
      description        = "Aurora storage, Performance Insights and master user secrets"
      service_principals = []
    }
    elasticache = {
      description        = "ElastiCache data at rest"
      service_principals = []
    }
    s3 = {
      description        = "S3 buckets of AWS Config history, Backup Audit Manager reports and access logs"
      service_principals = ["config.amazonaws.com", "logging.s3.amazonaws.com"]
      # Backup Audit Manager writes its reports through this service-linked role.
      service_linked_role_arns = [local.backup_reports_role_arn]
    }
    backup = {
      description        = "AWS Backup vaults and the buckets of Velero backups and Vault snapshots"
      service_principals = []
    }
    ecr = {
      description        = "Container images in ECR"
      service_principals = []
    }
    sns = {
      description        = "SNS topics for alarms and backup notifications"
      service_principals = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com", "cloudtrail.amazonaws.com"]
    }
  }

  primary_key_domains = merge(local.regional_key_domains, {
    logs = {
      description        = "CloudWatch log groups of the primary region"
      service_principals = ["logs.${var.primary_region}.amazonaws.com"]
    }
    cloudtrail = {
      description        = "CloudTrail log files and digests"
      service_principals = ["cloudtrail.amazonaws.com"]
    }
    # Vault auto-unseals with this key. It is multi-Region, so the replica in the DR
    # region can unseal a Vault restored there from a raft snapshot.
    vault-unseal = {
      description        = "Vault auto-unseal"
      service_principals = []
      multi_region       = true
    }
  })

  dr_key_domains = merge(local.regional_key_domains, {
    logs = {
      description        = "CloudWatch log groups of the DR region"
      service_principals = ["logs.${var.dr_region}.amazonaws.com"]
    }
    cloudtrail = {
      description        = "Replicated CloudTrail log files in the DR region"
      service_principals = []
    }
  })

  primary_keys = module.kms_primary.arns
  dr_keys      = merge(module.kms_dr.arns, { vault-unseal = aws_kms_replica_key.vault_unseal.arn })
}

# Key policies that name a service-linked role fail while the role does not exist, so
# Terraform creates both roles first. Each environment is a fresh account; in an account
# that already has them, import them instead, for example:
#   terraform import aws_iam_service_linked_role.autoscaling \
#     arn:aws:iam::<account>:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling
resource "aws_iam_service_linked_role" "autoscaling" {
  aws_service_name = "autoscaling.amazonaws.com"
  description      = "Launches EKS nodes whose volumes use the EBS key"
}

resource "aws_iam_service_linked_role" "backup_reports" {
  aws_service_name = "reports.backup.amazonaws.com"
  description      = "Writes Backup Audit Manager reports into the reports bucket"
}

module "kms_primary" {
  source = "./modules/kms-keys"

  name_prefix = local.name
  account_id  = var.account_id
  region      = var.primary_region
  keys        = local.primary_key_domains
  tags        = { "data-classification" = "restricted" }

  depends_on = [aws_iam_service_linked_role.autoscaling, aws_iam_service_linked_role.backup_reports]
}

module "kms_dr" {
  source = "./modules/kms-keys"
  providers = {
    aws = aws.dr
  }

  name_prefix = local.name
  account_id  = var.account_id
  region      = var.dr_region
  keys        = local.dr_key_domains
  tags        = { "data-classification" = "restricted" }

  depends_on = [aws_iam_service_linked_role.autoscaling, aws_iam_service_linked_role.backup_reports]
}

resource "aws_kms_replica_key" "vault_unseal" {
  provider = aws.dr

  description             = "Vault auto-unseal (replica of the primary-region key)"
  primary_key_arn         = module.kms_primary.arns["vault-unseal"]
  deletion_window_in_days = 30
  enabled                 = true
  tags                    = { "data-classification" = "restricted", Name = "${local.name}-vault-unseal" }
}

resource "aws_kms_alias" "vault_unseal_dr" {
  provider = aws.dr

  name          = "alias/${local.name}-vault-unseal"
  target_key_id = aws_kms_replica_key.vault_unseal.key_id
}
