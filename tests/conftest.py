"""Shared fixtures: real stores (embedded, in memory, real SPARQL servers) and real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.store import PolicyStore, open_store

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("STUDIO_SHARED_DATA", ROOT.parent / "shared" / "data"))
EXAMPLE_TTL = ROOT / "pipeline" / "examples" / "acme-conduct.ttl"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (third-party regulations and vocabularies); skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"third-party data folder {SHARED_DATA} is absent (set STUDIO_SHARED_DATA to use it)")
    return SHARED_DATA


@pytest.fixture
def memory_store() -> PolicyStore:
    with open_store("memory:") as store:
        yield store


@pytest.fixture
def disk_store_url(tmp_path: Path) -> str:
    return f"oxigraph:{tmp_path / 'store'}"


@pytest.fixture
def example_store(memory_store: PolicyStore) -> PolicyStore:
    """An in-memory store holding the bundled example policy."""
    memory_store.import_file(EXAMPLE_TTL)
    return memory_store


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A real Oxigraph SPARQL server (from PyPI) on 127.0.0.1, for the session."""
    from sparql_servers import start_oxigraph

    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """A real Virtuoso server (Debian package) on 127.0.0.1; skips when it is not installed."""
    from sparql_servers import start_virtuoso, virtuoso_available

    reason = virtuoso_available()
    if reason:
        pytest.skip(reason)
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


def remote_store_url(server) -> str:
    """The --store URL for a running test server, credentials included for updates."""
    update = server.update_url
    if server.username:
        scheme, rest = update.split("://", 1)
        update = f"{scheme}://{server.username}:{server.password}@{rest}"
    return f"{server.query_url},{update}"
