"""The ingest pipeline: store raw, analyse in worker processes, commit reports and incidents."""
