"""Incidents: grouping, the response lifecycle, priority, our constituency, handling."""
