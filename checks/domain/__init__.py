"""Domain checks on the registered host names."""
