environment        = "prod"
audit_bucket_count = 2
log_retention_days = 2557
