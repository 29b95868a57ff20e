ledger_bucket_count = 2
