"""The home page as a whole: is anything new on it (`home.stale`)."""
