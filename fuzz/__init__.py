"""A long-running fuzzer for abusebox's hostile-input path (not part of CI): `python -m fuzz --minutes N`."""
