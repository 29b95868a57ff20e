# Networks of both regions. The ranges must not overlap, so that a switchover can peer
# the two VPCs to move data that is not replicated.

module "network_primary" {
  source = "./modules/network"

  name               = local.name
  account_id         = var.account_id
  region             = var.primary_region
  cidr_block         = var.primary_vpc_cidr
  availability_zones = var.primary_availability_zones
  logs_kms_key_arn   = local.primary_keys["logs"]
  log_retention_days = var.log_retention_days
  tags               = { "pci-scope" = "connected" }
}

module "network_dr" {
  source = "./modules/network"
  providers = {
    aws = aws.dr
  }

  name               = "${local.name}-dr"
  account_id         = var.account_id
  region             = var.dr_region
  cidr_block         = var.dr_vpc_cidr
  availability_zones = var.dr_availability_zones
  logs_kms_key_arn   = local.dr_keys["logs"]
  log_retention_days = var.log_retention_days
  tags               = { "pci-scope" = "connected" }
}
