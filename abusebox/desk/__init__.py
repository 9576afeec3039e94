"""The desk's actions and read models, shared by the CLI and the web UI."""
