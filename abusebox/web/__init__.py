"""The desk's web UI, JSON API and metrics, on the same desk actions and read models as the CLI."""
