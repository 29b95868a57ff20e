variable "name" {
  description = "Replication group id and prefix of its resources."
  type        = string
}

variable "engine_version" {
  description = "Valkey engine version."
  type        = string
}

variable "node_type" {
  description = "Node type of every cache node."
  type        = string
}

variable "availability_zones" {
  description = "Zones of the cache nodes, one node per zone."
  type        = list(string)
}

variable "vpc_id" {
  description = "VPC of the replication group."
  type        = string
}

variable "subnet_ids" {
  description = "Isolated subnets, one per zone."
  type        = list(string)
}

variable "allowed_security_groups" {
  description = "Name to id of the security groups that may connect on port 6379."
  type        = map(string)
}

variable "application_user" {
  description = "ElastiCache user (and IAM-authenticated user name) of the NexaFi services."
  type        = string
  default     = "nexafi-app"
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the data at rest."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "Customer managed KMS key of the slow and engine log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the slow and engine log groups, in days."
  type        = number
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
}
