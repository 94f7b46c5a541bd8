"""The ground floor: what govwatch watches and how (settings, the site registry, the
regulations that bind each site) and the one error every command reports as a line.

Everything else imports this package; it imports nothing of govwatch's own but itself.
"""
