variable "name" {
  description = "Name of the VPC and prefix of its resources, such as nexafi-prod."
  type        = string
}

variable "account_id" {
  description = "AWS account of the VPC, the only one that endpoint policies and the flow-log role trust."
  type        = string
}

variable "region" {
  description = "Region of the VPC, part of the endpoint service names."
  type        = string
}

variable "cidr_block" {
  description = "IPv4 range of the VPC, a /16 as the subnet layout expects."
  type        = string

  validation {
    condition     = endswith(var.cidr_block, "/16")
    error_message = "cidr_block must be a /16, such as 10.20.0.0/16, because the subnet layout cuts /24 and /19 ranges from it."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zones of the region."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3
    error_message = "availability_zones must list three zones so that every tier survives the loss of one zone."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the flow-log group, in days: one of the values CloudWatch Logs accepts."
  type        = number
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
}
