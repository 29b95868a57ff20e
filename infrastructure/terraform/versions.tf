terraform {
  # 1.10 is the first release with S3-native state locking (use_lockfile).
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.59.0"
    }
  }

  # Bucket, key, region and kms_key_id come from environments/<env>.s3.tfbackend:
  #   terraform init -backend-config=environments/prod.s3.tfbackend
  # The state bucket and its KMS key are created by the bootstrap/ root module, which
  # runs once per account before this one.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

# Primary region.
provider "aws" {
  region              = var.primary_region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = local.default_tags
  }
}

# Disaster-recovery region: warm standby of the network, EKS, the Aurora Global
# Database secondaries, the backup copies and the replicated buckets.
provider "aws" {
  alias               = "dr"
  region              = var.dr_region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = local.default_tags
  }
}
