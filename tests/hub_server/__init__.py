"""A local Hugging Face Hub-compatible HTTP server for tests (see `server.py`).

The pytest side (fixture `hub_server`, helper `run_with_hub`) lives in `tests/hub_fixtures.py`.
"""

from .server import DEFAULT_USERS, HubServer, HubStore, main, make_server


__all__ = ["DEFAULT_USERS", "HubServer", "HubStore", "main", "make_server"]
