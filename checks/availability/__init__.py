"""Home-page availability from stored probes (`availability.unreachable`, `availability.slow`)."""
