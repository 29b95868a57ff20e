output "primary_endpoint" {
  description = "TLS endpoint of the primary node."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint" {
  description = "TLS endpoint of the replicas."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}
