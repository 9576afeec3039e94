"""Enrichment of external sources: RDAP/whois via ipwhois, a cache and a retry queue."""
