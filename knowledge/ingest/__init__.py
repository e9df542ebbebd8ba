"""Adding a new policy document: extract its text, read its structure, store it, index it (`subsidy ingest`)."""
