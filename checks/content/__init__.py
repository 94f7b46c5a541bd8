"""Content checks (issue 12): what a page says, rather than how the site is built."""
