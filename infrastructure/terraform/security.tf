# Account-level detective and preventive controls: the audit buckets, CloudTrail with
# CloudWatch metric filters and alarms, the per-region security services, WAF, SNS alert
# topics and account baselines.

locals {
  # S3 bucket names are global. Manifests under kubernetes/ name the Velero and Vault
  # snapshot buckets nexafi-<environment>-..., so change them together with this prefix.
  bucket_prefix = coalesce(var.bucket_name_prefix, local.name)

  # CloudWatch metric filters on the CloudTrail log group, one alarm each. The patterns
  # follow the monitoring section of the CIS AWS Foundations Benchmark v3.0.0 and add the
  # EKS and AWS Backup events this platform depends on.
  trail_alarms = {
    root-account-usage         = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
    unauthorized-api-calls     = "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }"
    console-signin-without-mfa = "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") && ($.userIdentity.type = \"IAMUser\") && ($.responseElements.ConsoleLogin = \"Success\") }"
    console-auth-failures      = "{ ($.eventName = \"ConsoleLogin\") && ($.errorMessage = \"Failed authentication\") }"
    iam-policy-changes         = "{ ($.eventSource = \"iam.amazonaws.com\") && (($.eventName = \"Put*Policy\") || ($.eventName = \"Attach*Policy\") || ($.eventName = \"Detach*Policy\") || ($.eventName = \"Delete*Policy\") || ($.eventName = \"CreatePolicy*\")) }"
    cloudtrail-changes         = "{ ($.eventName = \"CreateTrail\") || ($.eventName = \"UpdateTrail\") || ($.eventName = \"DeleteTrail\") || ($.eventName = \"StartLogging\") || ($.eventName = \"StopLogging\") }"
    kms-key-disable-or-delete  = "{ ($.eventSource = \"kms.amazonaws.com\") && (($.eventName = \"DisableKey\") || ($.eventName = \"ScheduleKeyDeletion\")) }"
    s3-bucket-policy-changes   = "{ ($.eventSource = \"s3.amazonaws.com\") && (($.eventName = \"PutBucketAcl\") || ($.eventName = \"PutBucketPolicy\") || ($.eventName = \"DeleteBucketPolicy\") || ($.eventName = \"PutBucketPublicAccessBlock\")) }"
    config-changes             = "{ ($.eventSource = \"config.amazonaws.com\") && (($.eventName = \"StopConfigurationRecorder\") || ($.eventName = \"DeleteDeliveryChannel\") || ($.eventName = \"PutDeliveryChannel\") || ($.eventName = \"PutConfigurationRecorder\")) }"
    security-group-changes     = "{ ($.eventName = \"AuthorizeSecurityGroupIngress\") || ($.eventName = \"AuthorizeSecurityGroupEgress\") || ($.eventName = \"RevokeSecurityGroupIngress\") || ($.eventName = \"RevokeSecurityGroupEgress\") || ($.eventName = \"CreateSecurityGroup\") || ($.eventName = \"DeleteSecurityGroup\") }"
    nacl-changes               = "{ ($.eventName = \"CreateNetworkAcl*\") || ($.eventName = \"DeleteNetworkAcl*\") || ($.eventName = \"ReplaceNetworkAcl*\") }"
    network-gateway-changes    = "{ ($.eventName = \"CreateCustomerGateway\") || ($.eventName = \"DeleteCustomerGateway\") || ($.eventName = \"AttachInternetGateway\") || ($.eventName = \"CreateInternetGateway\") || ($.eventName = \"DeleteInternetGateway\") || ($.eventName = \"DetachInternetGateway\") }"
    route-table-changes        = "{ ($.eventSource = \"ec2.amazonaws.com\") && (($.eventName = \"CreateRoute\") || ($.eventName = \"CreateRouteTable\") || ($.eventName = \"ReplaceRoute\") || ($.eventName = \"ReplaceRouteTableAssociation\") || ($.eventName = \"DeleteRouteTable\") || ($.eventName = \"DeleteRoute\") || ($.eventName = \"DisassociateRouteTable\")) }"
    vpc-changes                = "{ ($.eventName = \"CreateVpc\") || ($.eventName = \"DeleteVpc\") || ($.eventName = \"ModifyVpcAttribute\") || ($.eventName = \"CreateVpcPeeringConnection\") || ($.eventName = \"DeleteVpcPeeringConnection\") }"
    eks-access-changes         = "{ ($.eventSource = \"eks.amazonaws.com\") && (($.eventName = \"CreateAccessEntry\") || ($.eventName = \"DeleteAccessEntry\") || ($.eventName = \"AssociateAccessPolicy\") || ($.eventName = \"UpdateClusterConfig\")) }"
    backup-vault-changes       = "{ ($.eventSource = \"backup.amazonaws.com\") && (($.eventName = \"DeleteBackupVault*\") || ($.eventName = \"DeleteRecoveryPoint\") || ($.eventName = \"DeleteBackupPlan\") || ($.eventName = \"PutBackupVaultAccessPolicy\")) }"
  }
}

# Audit buckets. Server access logs of each region land in that region's log bucket.

module "access_logs_bucket" {
  source = "./modules/secure-bucket"

  name                              = "${local.bucket_prefix}-access-logs"
  kms_key_arn                       = local.primary_keys["s3"]
  object_lock_retention_days        = 0
  expiration_days                   = 400
  noncurrent_version_retention_days = 30
  extra_policy_json                 = data.aws_iam_policy_document.access_logs_delivery.json
  tags                              = { "data-classification" = "internal" }
}

module "access_logs_bucket_dr" {
  source = "./modules/secure-bucket"
  providers = {
    aws = aws.dr
  }

  name                              = "${local.bucket_prefix}-access-logs-dr"
  kms_key_arn                       = local.dr_keys["s3"]
  object_lock_retention_days        = 0
  expiration_days                   = 400
  noncurrent_version_retention_days = 30
  extra_policy_json                 = data.aws_iam_policy_document.access_logs_delivery_dr.json
  tags                              = { "data-classification" = "internal" }
}

data "aws_iam_policy_document" "access_logs_delivery" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-access-logs/s3/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "access_logs_delivery_dr" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-access-logs-dr/s3/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# CloudTrail log files: Object Lock for seven years, in compliance mode in prod, so
# nobody, including the root user, can delete or overwrite them. They are replicated to
# the DR region.
module "cloudtrail_bucket" {
  source = "./modules/secure-bucket"

  name                              = "${local.bucket_prefix}-cloudtrail"
  kms_key_arn                       = local.primary_keys["cloudtrail"]
  object_lock_mode                  = var.immutability_mode
  object_lock_retention_days        = var.audit_log_retention_days
  expiration_days                   = var.audit_log_retention_days
  noncurrent_version_retention_days = 30
  access_log_bucket                 = module.access_logs_bucket.id
  extra_policy_json                 = data.aws_iam_policy_document.cloudtrail_delivery.json
  tags                              = { "data-classification" = "restricted", "pci-scope" = "in-scope" }

  replication = {
    destination_bucket_arn  = module.cloudtrail_bucket_dr.arn
    destination_kms_key_arn = local.dr_keys["cloudtrail"]
  }
}

module "cloudtrail_bucket_dr" {
  source = "./modules/secure-bucket"
  providers = {
    aws = aws.dr
  }

  name                              = "${local.bucket_prefix}-cloudtrail-dr"
  kms_key_arn                       = local.dr_keys["cloudtrail"]
  object_lock_mode                  = var.immutability_mode
  object_lock_retention_days        = var.audit_log_retention_days
  expiration_days                   = var.audit_log_retention_days
  noncurrent_version_retention_days = 30
  access_log_bucket                 = module.access_logs_bucket_dr.id
  tags                              = { "data-classification" = "restricted", "pci-scope" = "in-scope" }
}

data "aws_iam_policy_document" "cloudtrail_delivery" {
  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-cloudtrail"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = ["arn:aws:cloudtrail:${var.primary_region}:${var.account_id}:trail/${local.name}"]
    }
  }

  statement {
    sid       = "CloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-cloudtrail/AWSLogs/${var.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = ["arn:aws:cloudtrail:${var.primary_region}:${var.account_id}:trail/${local.name}"]
    }
  }
}

# AWS Config history of both regions, replicated to the DR region.
module "config_bucket" {
  source = "./modules/secure-bucket"

  name                              = "${local.bucket_prefix}-config"
  kms_key_arn                       = local.primary_keys["s3"]
  object_lock_mode                  = var.immutability_mode
  object_lock_retention_days        = var.audit_log_retention_days
  expiration_days                   = var.audit_log_retention_days
  noncurrent_version_retention_days = 30
  access_log_bucket                 = module.access_logs_bucket.id
  extra_policy_json                 = data.aws_iam_policy_document.config_delivery.json
  tags                              = { "data-classification" = "internal" }

  replication = {
    destination_bucket_arn  = module.config_bucket_dr.arn
    destination_kms_key_arn = local.dr_keys["s3"]
  }
}

module "config_bucket_dr" {
  source = "./modules/secure-bucket"
  providers = {
    aws = aws.dr
  }

  name                              = "${local.bucket_prefix}-config-dr"
  kms_key_arn                       = local.dr_keys["s3"]
  object_lock_mode                  = var.immutability_mode
  object_lock_retention_days        = var.audit_log_retention_days
  expiration_days                   = var.audit_log_retention_days
  noncurrent_version_retention_days = 30
  access_log_bucket                 = module.access_logs_bucket_dr.id
  tags                              = { "data-classification" = "internal" }
}

data "aws_iam_policy_document" "config_delivery" {
  statement {
    sid       = "ConfigAclCheck"
    actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-config"]

    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }

  statement {
    sid       = "ConfigWrite"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-config/AWSLogs/${var.account_id}/Config/*"]

    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# CloudTrail: every region, management events, data events of the audit buckets,
# signed digest files, encrypted with its own key and delivered to CloudWatch Logs for
# the metric filters below.

resource "aws_cloudwatch_log_group" "cloudtrail" {
  name              = "/aws/cloudtrail/${local.name}"
  retention_in_days = var.audit_log_retention_days
  kms_key_id        = local.primary_keys["logs"]
  tags              = { "data-classification" = "restricted" }
}

data "aws_iam_policy_document" "cloudtrail_logs_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "cloudtrail_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.cloudtrail.arn}:*"]
  }
}

resource "aws_iam_role" "cloudtrail_logs" {
  name               = "${local.name}-cloudtrail-logs"
  assume_role_policy = data.aws_iam_policy_document.cloudtrail_logs_trust.json
}

resource "aws_iam_role_policy" "cloudtrail_logs" {
  name   = "write-trail-events"
  role   = aws_iam_role.cloudtrail_logs.id
  policy = data.aws_iam_policy_document.cloudtrail_logs.json
}

resource "aws_cloudtrail" "this" {
  name                          = local.name
  s3_bucket_name                = module.cloudtrail_bucket.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true
  kms_key_id                    = local.primary_keys["cloudtrail"]
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.cloudtrail.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail_logs.arn
  sns_topic_name                = aws_sns_topic.cloudtrail_deliveries.arn

  event_selector {
    read_write_type           = "All"
    include_management_events = true

    data_resource {
      type = "AWS::S3::Object"
      values = [
        "${module.cloudtrail_bucket.arn}/",
        "${module.config_bucket.arn}/",
        "${module.vault_snapshots_bucket.arn}/",
        "${module.velero_bucket.arn}/",
      ]
    }
  }

  insight_selector {
    insight_type = "ApiCallRateInsight"
  }

  insight_selector {
    insight_type = "ApiErrorRateInsight"
  }

  tags = { "data-classification" = "restricted" }

  depends_on = [module.cloudtrail_bucket]
}

resource "aws_cloudwatch_log_metric_filter" "trail" {
  for_each = local.trail_alarms

  name           = "${local.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.cloudtrail.name
  pattern        = each.value

  metric_transformation {
    name      = each.key
    namespace = "NexaFi/CloudTrail"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "trail" {
  for_each = local.trail_alarms

  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = "CloudTrail recorded ${replace(each.key, "-", " ")} in account ${var.account_id}"
  namespace           = "NexaFi/CloudTrail"
  metric_name         = aws_cloudwatch_log_metric_filter.trail[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.security_alerts.arn]
}

# Alert topics, encrypted with the SNS key.

resource "aws_sns_topic" "security_alerts" {
  name              = "${local.name}-security-alerts"
  kms_master_key_id = local.primary_keys["sns"]
}

resource "aws_sns_topic_subscription" "security_alerts" {
  for_each = toset(var.security_alert_emails)

  topic_arn = aws_sns_topic.security_alerts.arn
  protocol  = "email"
  endpoint  = each.key
}

data "aws_iam_policy_document" "security_alerts" {
  statement {
    sid       = "AwsServicesPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.security_alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "security_alerts" {
  arn    = aws_sns_topic.security_alerts.arn
  policy = data.aws_iam_policy_document.security_alerts.json
}

# CloudTrail announces every delivered log file here, for log shippers to subscribe.
resource "aws_sns_topic" "cloudtrail_deliveries" {
  name              = "${local.name}-cloudtrail-deliveries"
  kms_master_key_id = local.primary_keys["sns"]
}

data "aws_iam_policy_document" "cloudtrail_deliveries" {
  statement {
    sid       = "CloudTrailPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.cloudtrail_deliveries.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = ["arn:aws:cloudtrail:${var.primary_region}:${var.account_id}:trail/${local.name}"]
    }
  }
}

resource "aws_sns_topic_policy" "cloudtrail_deliveries" {
  arn    = aws_sns_topic.cloudtrail_deliveries.arn
  policy = data.aws_iam_policy_document.cloudtrail_deliveries.json
}

# GuardDuty findings of high severity reach the same topic.
resource "aws_cloudwatch_event_rule" "guardduty_findings" {
  name        = "${local.name}-guardduty-high"
  description = "GuardDuty findings of severity 7 or higher"
  event_pattern = jsonencode({
    source        = ["aws.guardduty"]
    "detail-type" = ["GuardDuty Finding"]
    detail        = { severity = [{ numeric = [">=", 7] }] }
  })
}

resource "aws_cloudwatch_event_target" "guardduty_findings" {
  rule = aws_cloudwatch_event_rule.guardduty_findings.name
  arn  = aws_sns_topic.security_alerts.arn
}

# Security Hub aggregates both regions here, so one rule covers critical findings of
# every standard, including failed AWS Config rules that Security Hub imports.
resource "aws_cloudwatch_event_rule" "securityhub_critical" {
  name        = "${local.name}-securityhub-critical"
  description = "New Security Hub findings of severity CRITICAL"
  event_pattern = jsonencode({
    source        = ["aws.securityhub"]
    "detail-type" = ["Security Hub Findings - Imported"]
    detail = {
      findings = {
        Severity    = { Label = ["CRITICAL"] }
        Workflow    = { Status = ["NEW"] }
        RecordState = ["ACTIVE"]
      }
    }
  })
}

resource "aws_cloudwatch_event_target" "securityhub_critical" {
  rule = aws_cloudwatch_event_rule.securityhub_critical.name
  arn  = aws_sns_topic.security_alerts.arn
}

# Per-region services.

module "security_primary" {
  source = "./modules/regional-security"

  name                      = local.name
  account_id                = var.account_id
  region                    = var.primary_region
  record_global_resources   = true
  config_bucket_name        = module.config_bucket.id
  config_bucket_arn         = module.config_bucket.arn
  config_kms_key_arn        = local.primary_keys["s3"]
  ebs_kms_key_arn           = local.primary_keys["ebs"]
  conformance_pack_template = file("${path.module}/conformance-packs/pci-dss-v4.yaml")
  tags                      = {}
}

module "security_dr" {
  source = "./modules/regional-security"
  providers = {
    aws = aws.dr
  }

  name                      = local.name
  account_id                = var.account_id
  region                    = var.dr_region
  record_global_resources   = false
  config_bucket_name        = module.config_bucket.id
  config_bucket_arn         = module.config_bucket.arn
  config_kms_key_arn        = local.primary_keys["s3"]
  ebs_kms_key_arn           = local.dr_keys["ebs"]
  conformance_pack_template = file("${path.module}/conformance-packs/pci-dss-v4.yaml")
  tags                      = {}
}

# Security Hub findings of both regions are visible in the primary region.
resource "aws_securityhub_finding_aggregator" "this" {
  linking_mode      = "SPECIFIED_REGIONS"
  specified_regions = [var.dr_region]

  depends_on = [module.security_primary, module.security_dr]
}

# WAF for the public Application Load Balancer. The AWS Load Balancer Controller
# attaches it through the Ingress annotation alb.ingress.kubernetes.io/wafv2-acl-arn,
# using the web_acl_arn output.

resource "aws_wafv2_web_acl" "public" {
  name        = "${local.name}-public"
  description = "Managed protections and a per-IP rate limit in front of the NexaFi services"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-common"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 30

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-sql-injection"
    priority = 40

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesSQLiRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-sql-injection"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 50

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit_per_5_minutes
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.name}-public"
    sampled_requests_enabled   = true
  }
}

# WAF requires log group names that start with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.primary_keys["logs"]
}

# Credentials and session cookies are never written to the WAF log.
resource "aws_wafv2_web_acl_logging_configuration" "public" {
  resource_arn            = aws_wafv2_web_acl.public.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }

  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }
}

# Account baselines.

resource "aws_s3_account_public_access_block" "this" {
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_iam_account_password_policy" "this" {
  minimum_password_length        = 14
  require_lowercase_characters   = true
  require_uppercase_characters   = true
  require_numbers                = true
  require_symbols                = true
  allow_users_to_change_password = true
  password_reuse_prevention      = 24
  max_password_age               = 90
}
