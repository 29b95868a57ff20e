# EKS clusters, both named nexafi-<environment> so that manifests and Helm values work
# unchanged in either region. The DR cluster stands by with one node per group, and the
# switchover runbook scales it to the primary's sizes before traffic moves.

module "eks_primary" {
  source = "./modules/eks-cluster"

  name                 = local.name
  account_id           = var.account_id
  kubernetes_version   = var.kubernetes_version
  subnet_ids           = module.network_primary.private_subnet_ids
  secrets_kms_key_arn  = local.primary_keys["eks"]
  ebs_kms_key_arn      = local.primary_keys["ebs"]
  logs_kms_key_arn     = local.primary_keys["logs"]
  log_retention_days   = var.log_retention_days
  financial_node_group = var.financial_node_group
  general_node_group   = var.general_node_group
  addon_versions       = var.eks_addon_versions
  access_entries       = var.eks_access_entries

  tags = {
    "pci-scope"   = "in-scope"
    "backup-plan" = "eks-daily"
  }
}

module "eks_dr" {
  source = "./modules/eks-cluster"
  providers = {
    aws = aws.dr
  }

  name                = local.name
  iam_role_prefix     = "${local.name}-dr"
  account_id          = var.account_id
  kubernetes_version  = var.kubernetes_version
  subnet_ids          = module.network_dr.private_subnet_ids
  secrets_kms_key_arn = local.dr_keys["eks"]
  ebs_kms_key_arn     = local.dr_keys["ebs"]
  logs_kms_key_arn    = local.dr_keys["logs"]
  log_retention_days  = var.log_retention_days
  addon_versions      = var.eks_addon_versions
  access_entries      = var.eks_access_entries

  financial_node_group = merge(var.financial_node_group, {
    min_size     = var.dr_node_group_scale
    desired_size = var.dr_node_group_scale
  })
  general_node_group = merge(var.general_node_group, {
    min_size     = var.dr_node_group_scale
    desired_size = var.dr_node_group_scale
  })

  tags = {
    "pci-scope" = "in-scope"
  }
}

# Pod Identity roles of Velero, Vault, the Vault snapshot job and the NexaFi services in
# each cluster. After a switchover the DR roles reach the DR copies of every resource.

module "workload_identity_primary" {
  source = "./modules/workload-identity"

  cluster_name                  = module.eks_primary.name
  iam_role_prefix               = local.name
  account_id                    = var.account_id
  region                        = var.primary_region
  velero_bucket_arn             = module.velero_bucket.arn
  vault_snapshots_bucket_arn    = module.vault_snapshots_bucket.arn
  backup_kms_key_arn            = local.primary_keys["backup"]
  ebs_kms_key_arn               = local.primary_keys["ebs"]
  vault_unseal_kms_key_arn      = local.primary_keys["vault-unseal"]
  database_cluster_resource_ids = [module.financial_db.cluster_resource_id, module.user_db.cluster_resource_id]
  cache_arns                    = [module.cache.replication_group_arn, module.cache.application_user_arn]
  tags                          = { "pci-scope" = "in-scope" }
}

module "workload_identity_dr" {
  source = "./modules/workload-identity"
  providers = {
    aws = aws.dr
  }

  cluster_name                  = module.eks_dr.name
  iam_role_prefix               = "${local.name}-dr"
  account_id                    = var.account_id
  region                        = var.dr_region
  velero_bucket_arn             = module.velero_bucket_dr.arn
  vault_snapshots_bucket_arn    = module.vault_snapshots_bucket_dr.arn
  backup_kms_key_arn            = local.dr_keys["backup"]
  ebs_kms_key_arn               = local.dr_keys["ebs"]
  vault_unseal_kms_key_arn      = local.dr_keys["vault-unseal"]
  database_cluster_resource_ids = [module.financial_db_dr.cluster_resource_id, module.user_db_dr.cluster_resource_id]
  cache_arns                    = [module.cache_dr.replication_group_arn, module.cache_dr.application_user_arn]
  tags                          = { "pci-scope" = "in-scope" }
}
