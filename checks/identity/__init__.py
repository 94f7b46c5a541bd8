"""Site identity checks: footer identifiers, badges, site name and 找错 entry of the home page."""
