"""The way out: drafts of notifications now; the outbox, SMTP sender and digests next."""
