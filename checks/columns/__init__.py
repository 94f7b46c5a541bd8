"""Columns (栏目): discovery from the navigation and the registry, and the stale/blank checks."""
