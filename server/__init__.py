"""Validating, stateful stub of CSBS create-restore (`POST /v1/{project_id}/restores`).

Run it with `python -m server`; build it in code with `server.app.create_app(Settings(...))`.
"""
