output "primary_endpoint" {
  description = "TLS endpoint of the primary node."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint" {
  description = "TLS endpoint of the replicas."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "replication_group_arn" {
  description = "ARN of the replication group, for IAM authentication policies."
  value       = aws_elasticache_replication_group.this.arn
}

output "application_user_arn" {
  description = "ARN of the IAM-authenticated application user."
  value       = aws_elasticache_user.application.arn
}
