# One customer managed KMS key per data domain in one region. Each key rotates yearly,
# waits 30 days before deletion and carries an explicit key policy: the account
# administers the key through IAM, and only the AWS services named for that domain may
# use it, each limited to this account by a condition.

locals {
  account_arn = "arn:${var.partition}:iam::${var.account_id}:root"

  # Conditions that tie a service principal's use of a key to this account. CloudWatch
  # Logs puts the ARN of the log group into the encryption context of every call, so its
  # condition names the log groups. The other services, CloudTrail included (its
  # DescribeKey calls carry no encryption context), are limited by aws:SourceAccount.
  service_conditions = {
    "logs.${var.region}.amazonaws.com" = {
      ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:*" }
    }
  }
  default_condition = {
    StringEquals = { "aws:SourceAccount" = var.account_id }
  }

  policies = {
    for domain, key in var.keys : domain => {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid       = "AccountAdministersKeyThroughIam"
            Effect    = "Allow"
            Principal = { AWS = local.account_arn }
            Action    = "kms:*"
            Resource  = "*"
          },
        ],
        [
          for service in key.service_principals : {
            Sid       = "ServiceUse${replace(title(replace(split(".", service)[0], "-", " ")), " ", "")}"
            Effect    = "Allow"
            Principal = { Service = service }
            Action = [
              "kms:Encrypt",
              "kms:Decrypt",
              "kms:ReEncrypt*",
              "kms:GenerateDataKey*",
              "kms:DescribeKey",
            ]
            Resource  = "*"
            Condition = lookup(local.service_conditions, service, local.default_condition)
          }
        ],
        # Service-linked roles (Auto Scaling launching nodes with encrypted volumes)
        # cannot be given key access through IAM, only through the key policy.
        length(key.service_linked_role_arns) == 0 ? [] : [
          {
            Sid       = "ServiceLinkedRoleUse"
            Effect    = "Allow"
            Principal = { AWS = key.service_linked_role_arns }
            Action = [
              "kms:Encrypt",
              "kms:Decrypt",
              "kms:ReEncrypt*",
              "kms:GenerateDataKey*",
              "kms:DescribeKey",
            ]
            Resource = "*"
          },
          {
            Sid       = "ServiceLinkedRoleGrants"
            Effect    = "Allow"
            Principal = { AWS = key.service_linked_role_arns }
            Action    = "kms:CreateGrant"
            Resource  = "*"
            Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
          },
        ],
      )
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = var.keys

  description              = each.value.description
  key_usage                = "ENCRYPT_DECRYPT"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  multi_region             = each.value.multi_region
  enable_key_rotation      = true
  rotation_period_in_days  = var.rotation_period_in_days
  deletion_window_in_days  = 30
  is_enabled               = true
  policy                   = jsonencode(local.policies[each.key])

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}", "data-domain" = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = var.keys

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
