"""The 12-hour repost rule: important items of higher-level portals reposted in time."""
