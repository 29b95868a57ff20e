variable "name_prefix" {
  description = "Prefix of key aliases and Name tags, such as nexafi-prod."
  type        = string
}

variable "account_id" {
  description = "AWS account that owns the keys."
  type        = string
}

variable "region" {
  description = "Region of the keys, named in the CloudWatch Logs conditions."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
}

variable "rotation_period_in_days" {
  description = "Days between automatic rotations of key material (90 to 2560)."
  type        = number
  default     = 365
}

variable "keys" {
  description = "Data domain to key settings: a description, the AWS service principals and service-linked roles that may use the key directly, and whether the key is multi-Region."
  type = map(object({
    description              = string
    service_principals       = list(string)
    service_linked_role_arns = optional(list(string), [])
    multi_region             = optional(bool, false)
  }))
}

variable "tags" {
  description = "Tags of every key."
  type        = map(string)
}
