variable "name" {
  description = "Cluster identifier, such as nexafi-prod-financial."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
}

variable "engine_version" {
  description = "Aurora PostgreSQL engine version, such as 17.4. The major version selects the parameter group family."
  type        = string
}

variable "instance_class" {
  description = "Instance class of every cluster instance."
  type        = string
}

variable "instance_count" {
  description = "Number of instances; two or more put a writer and a reader in different availability zones."
  type        = number

  validation {
    condition     = var.instance_count >= 2
    error_message = "instance_count must be at least 2 so that a failover target exists in another availability zone."
  }
}

variable "availability_zones" {
  description = "Zones the instances are spread over, in order."
  type        = list(string)
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Isolated subnets of the VPC, one per zone."
  type        = list(string)
}

variable "allowed_security_groups" {
  description = "Name to id of the security groups that may connect on port 5432."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the storage, the Performance Insights data and the master user secret."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "Customer managed KMS key of the exported PostgreSQL log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL log, in days."
  type        = number
}

variable "database_name" {
  description = "Name of the database created in the primary cluster."
  type        = string
  default     = null
}

variable "master_username" {
  description = "Master user of the primary cluster; RDS keeps its password in Secrets Manager."
  type        = string
  default     = "nexafi_admin"
}

variable "global_cluster_identifier" {
  description = "Aurora Global Database the cluster belongs to, or null."
  type        = string
  default     = null
}

variable "is_secondary" {
  description = "Whether the cluster is a secondary (read-only) member of the global database."
  type        = bool
  default     = false
}

variable "global_db_rpo_seconds" {
  description = "Maximum replication lag, in seconds, that the primary of a global database tolerates before it pauses commits (rds.global_db_rpo); null leaves it unset."
  type        = number
  default     = null
}

variable "tags" {
  description = "Tags of every resource, including backup-plan for AWS Backup."
  type        = map(string)
}
