"""Run manifests and the append-only, hash-chained audit ledger."""
