"""The ground every stage stands on: settings, the dataclasses between stages, errors."""
