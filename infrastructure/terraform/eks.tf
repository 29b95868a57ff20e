# EKS clusters, both named nexafi-<environment> so that manifests and Helm values work
# unchanged in either region. The DR cluster stands by with one node per group; the switchover
# runbook scales it to the primary's sizes before traffic moves.

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
