variable "name" {
  description = "Prefix of the resource names, such as nexafi-prod."
  type        = string
}

variable "account_id" {
  description = "AWS account; the Config role trusts only it."
  type        = string
}

variable "region" {
  description = "Region of the services; standards ARNs and role names contain it."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
}

variable "record_global_resources" {
  description = "Whether this region's Config recorder records global resource types such as IAM; true in exactly one region."
  type        = bool
}

variable "config_bucket_name" {
  description = "Bucket that receives the Config history and snapshots of every region."
  type        = string
}

variable "config_bucket_arn" {
  description = "ARN of config_bucket_name."
  type        = string
}

variable "config_kms_key_arn" {
  description = "KMS key that Config encrypts its deliveries with; it lives in the bucket's region."
  type        = string
}

variable "ebs_kms_key_arn" {
  description = "Customer managed key of this region's default EBS encryption."
  type        = string
}

variable "conformance_pack_template" {
  description = "YAML body of the PCI DSS conformance pack."
  type        = string
}

variable "tags" {
  description = "Tags of every taggable resource."
  type        = map(string)
}
