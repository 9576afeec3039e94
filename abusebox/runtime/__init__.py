"""The long-running service: polling, scheduled jobs, retention."""
