# Data stores: the financial (ledger, payments) and user databases as Aurora Global
# Databases with a secondary in the DR region, the Valkey caches, and the ECR
# repository of the nexafi image.
#
# Recovery objectives: in the primary region Aurora restores to any second of the last
# 35 days (point-in-time recovery). Across regions the Global Database replicates storage
# with a lag of typically under a second, and rds.global_db_rpo caps the lag of the
# financial database at global_db_rpo_seconds. Both stay well inside the 15-minute RPO.
# The AWS Backup plans in backup.tf are the long-term retention, not the RPO control.

locals {
  financial_tags = {
    "data-classification" = "restricted"
    "pci-scope"           = "in-scope"
    "backup-plan"         = "financial-4h"
  }
  user_tags = {
    "data-classification" = "confidential"
    "pci-scope"           = "connected"
    "backup-plan"         = "user-daily"
  }
}

resource "aws_rds_global_cluster" "financial" {
  global_cluster_identifier = "${local.name}-financial"
  engine                    = "aurora-postgresql"
  engine_version            = var.aurora_engine_version
  storage_encrypted         = true
  deletion_protection       = true
}

resource "aws_rds_global_cluster" "user" {
  global_cluster_identifier = "${local.name}-user"
  engine                    = "aurora-postgresql"
  engine_version            = var.aurora_engine_version
  storage_encrypted         = true
  deletion_protection       = true
}

module "financial_db" {
  source = "./modules/aurora-postgresql"

  name                      = "${local.name}-financial"
  engine_version            = var.aurora_engine_version
  instance_class            = var.financial_db_instance_class
  instance_count            = var.db_instance_count
  availability_zones        = var.primary_availability_zones
  vpc_id                    = module.network_primary.vpc_id
  subnet_ids                = module.network_primary.isolated_subnet_ids
  allowed_security_groups   = { eks-nodes = module.eks_primary.cluster_security_group_id }
  kms_key_arn               = local.primary_keys["rds"]
  logs_kms_key_arn          = local.primary_keys["logs"]
  log_retention_days        = var.log_retention_days
  database_name             = "financial"
  global_cluster_identifier = aws_rds_global_cluster.financial.id
  global_db_rpo_seconds     = var.global_db_rpo_seconds
  tags                      = local.financial_tags
}

module "financial_db_dr" {
  source = "./modules/aurora-postgresql"
  providers = {
    aws = aws.dr
  }

  name                      = "${local.name}-financial-dr"
  engine_version            = var.aurora_engine_version
  instance_class            = var.financial_db_instance_class
  instance_count            = var.db_instance_count
  availability_zones        = var.dr_availability_zones
  vpc_id                    = module.network_dr.vpc_id
  subnet_ids                = module.network_dr.isolated_subnet_ids
  allowed_security_groups   = { eks-nodes = module.eks_dr.cluster_security_group_id }
  kms_key_arn               = local.dr_keys["rds"]
  logs_kms_key_arn          = local.dr_keys["logs"]
  log_retention_days        = var.log_retention_days
  global_cluster_identifier = aws_rds_global_cluster.financial.id
  is_secondary              = true
  global_db_rpo_seconds     = var.global_db_rpo_seconds
  tags                      = merge(local.financial_tags, { "backup-plan" = "none-global-secondary" })

  depends_on = [module.financial_db]
}

module "user_db" {
  source = "./modules/aurora-postgresql"

  name                      = "${local.name}-user"
  engine_version            = var.aurora_engine_version
  instance_class            = var.user_db_instance_class
  instance_count            = var.db_instance_count
  availability_zones        = var.primary_availability_zones
  vpc_id                    = module.network_primary.vpc_id
  subnet_ids                = module.network_primary.isolated_subnet_ids
  allowed_security_groups   = { eks-nodes = module.eks_primary.cluster_security_group_id }
  kms_key_arn               = local.primary_keys["rds"]
  logs_kms_key_arn          = local.primary_keys["logs"]
  log_retention_days        = var.log_retention_days
  database_name             = "users"
  global_cluster_identifier = aws_rds_global_cluster.user.id
  tags                      = local.user_tags
}

module "user_db_dr" {
  source = "./modules/aurora-postgresql"
  providers = {
    aws = aws.dr
  }

  name                      = "${local.name}-user-dr"
  engine_version            = var.aurora_engine_version
  instance_class            = var.user_db_instance_class
  instance_count            = var.db_instance_count
  availability_zones        = var.dr_availability_zones
  vpc_id                    = module.network_dr.vpc_id
  subnet_ids                = module.network_dr.isolated_subnet_ids
  allowed_security_groups   = { eks-nodes = module.eks_dr.cluster_security_group_id }
  kms_key_arn               = local.dr_keys["rds"]
  logs_kms_key_arn          = local.dr_keys["logs"]
  log_retention_days        = var.log_retention_days
  global_cluster_identifier = aws_rds_global_cluster.user.id
  is_secondary              = true
  tags                      = merge(local.user_tags, { "backup-plan" = "none-global-secondary" })

  depends_on = [module.user_db]
}

# Sessions and idempotency keys of the financial services. The DR cache starts empty
# after a switchover: nothing in it is the only copy of a record, and sessions are
# re-established.
module "cache" {
  source = "./modules/valkey-cache"

  name                    = local.name
  engine_version          = var.cache_engine_version
  node_type               = var.cache_node_type
  availability_zones      = var.primary_availability_zones
  vpc_id                  = module.network_primary.vpc_id
  subnet_ids              = module.network_primary.isolated_subnet_ids
  allowed_security_groups = { eks-nodes = module.eks_primary.cluster_security_group_id }
  kms_key_arn             = local.primary_keys["elasticache"]
  logs_kms_key_arn        = local.primary_keys["logs"]
  log_retention_days      = var.log_retention_days
  tags                    = { "data-classification" = "confidential", "pci-scope" = "connected" }
}

module "cache_dr" {
  source = "./modules/valkey-cache"
  providers = {
    aws = aws.dr
  }

  name                    = "${local.name}-dr"
  engine_version          = var.cache_engine_version
  node_type               = var.cache_node_type
  availability_zones      = var.dr_availability_zones
  vpc_id                  = module.network_dr.vpc_id
  subnet_ids              = module.network_dr.isolated_subnet_ids
  allowed_security_groups = { eks-nodes = module.eks_dr.cluster_security_group_id }
  kms_key_arn             = local.dr_keys["elasticache"]
  logs_kms_key_arn        = local.dr_keys["logs"]
  log_retention_days      = var.log_retention_days
  tags                    = { "data-classification" = "confidential", "pci-scope" = "connected" }
}

# The nexafi image. Tags are immutable, so a tag always names the same digest. Every
# push is scanned, and images are replicated to the DR region.
resource "aws_ecr_repository" "nexafi" {
  name                 = "nexafi/nexafi"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = local.primary_keys["ecr"]
  }

  tags = { "pci-scope" = "in-scope" }
}

# Untagged images (left behind by failed pushes) go after 30 days. Tagged images stay,
# so a deployment can roll back to any release it ever ran.
locals {
  ecr_lifecycle_policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire images that are not releases after 30 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 30
        }
        action = { type = "expire" }
      },
    ]
  })
}

resource "aws_ecr_lifecycle_policy" "nexafi" {
  repository = aws_ecr_repository.nexafi.name
  policy     = local.ecr_lifecycle_policy
}

# The images of the Helm chart's financial services (services.<name>.image.repository in
# helm/nexafi-financial-services), with the same controls as the nexafi image.
resource "aws_ecr_repository" "services" {
  for_each = toset(["nexafi/payments-api", "nexafi/ledger-service"])

  name                 = each.key
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = local.primary_keys["ecr"]
  }

  tags = { "pci-scope" = "in-scope" }
}

resource "aws_ecr_lifecycle_policy" "services" {
  for_each = aws_ecr_repository.services

  repository = each.value.name
  policy     = local.ecr_lifecycle_policy
}

# Continuous scanning with Amazon Inspector, which rescans stored images when new
# vulnerabilities are published.
resource "aws_ecr_registry_scanning_configuration" "this" {
  scan_type = "ENHANCED"

  rule {
    scan_frequency = "CONTINUOUS_SCAN"

    repository_filter {
      filter      = "nexafi/*"
      filter_type = "WILDCARD"
    }
  }
}

resource "aws_ecr_replication_configuration" "this" {
  replication_configuration {
    rule {
      destination {
        region      = var.dr_region
        registry_id = var.account_id
      }

      repository_filter {
        filter      = "nexafi/"
        filter_type = "PREFIX_MATCH"
      }
    }
  }
}

# Repositories that replication creates in the DR region take these settings, so the
# replica is immutable and encrypted with the DR region's ECR key as well. ECR needs a
# role of ours to create a repository with a customer managed key.
data "aws_iam_policy_document" "ecr_templates_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecr.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "ecr_templates" {
  statement {
    actions   = ["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"]
    resources = ["arn:aws:ecr:${var.dr_region}:${var.account_id}:repository/nexafi/*"]
  }

  statement {
    actions   = ["kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"]
    resources = [local.dr_keys["ecr"]]
  }
}

resource "aws_iam_role" "ecr_templates" {
  name               = "${local.name}-ecr-replica-templates"
  assume_role_policy = data.aws_iam_policy_document.ecr_templates_trust.json
}

resource "aws_iam_role_policy" "ecr_templates" {
  name   = "create-encrypted-replicas"
  role   = aws_iam_role.ecr_templates.id
  policy = data.aws_iam_policy_document.ecr_templates.json
}

resource "aws_ecr_repository_creation_template" "replica" {
  provider = aws.dr

  prefix               = "nexafi"
  description          = "Replicas of the nexafi repositories"
  applied_for          = ["REPLICATION"]
  image_tag_mutability = "IMMUTABLE"
  custom_role_arn      = aws_iam_role.ecr_templates.arn

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = local.dr_keys["ecr"]
  }

  resource_tags = { "pci-scope" = "in-scope" }
}
