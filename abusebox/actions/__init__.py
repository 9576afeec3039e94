"""Actions on incidents: drafts of notifications for the people who must act."""
