"""The dashboard (`govwatch serve`): supervisors review every site, webmasters fix their own.

Entry point: `web.app.create_app(settings)`.
"""
