variable "cluster_name" {
  description = "EKS cluster whose ServiceAccounts get the roles."
  type        = string
}

variable "iam_role_prefix" {
  description = "Prefix of the IAM role names. It must differ between regions, because IAM names are global."
  type        = string
}

variable "account_id" {
  description = "AWS account whose Pod Identity the roles trust, and no other."
  type        = string
}

variable "region" {
  description = "Region of the cluster and of the resources the roles reach."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
}

variable "velero_bucket_arn" {
  description = "Bucket of Velero backups."
  type        = string
}

variable "vault_snapshots_bucket_arn" {
  description = "Bucket of Vault raft snapshots."
  type        = string
}

variable "backup_kms_key_arn" {
  description = "KMS key of the Velero and Vault snapshot buckets."
  type        = string
}

variable "ebs_kms_key_arn" {
  description = "KMS key of the EBS volumes that Velero snapshots."
  type        = string
}

variable "vault_unseal_kms_key_arn" {
  description = "KMS key Vault auto-unseals with."
  type        = string
}

variable "database_cluster_resource_ids" {
  description = "Resource ids of the Aurora clusters the services connect to with IAM authentication."
  type        = list(string)
}

variable "database_user" {
  description = "Database user the services connect as. PostgreSQL must grant it the rds_iam role."
  type        = string
  default     = "nexafi_app"
}

variable "cache_arns" {
  description = "ARNs of the Valkey replication group and of its IAM-authenticated user."
  type        = list(string)
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
}
