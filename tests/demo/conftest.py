"""Fixtures for the demo world tests: one world per session, one server per module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from govwatch.demo.server import DemoServer
from govwatch.demo.world import World, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("demo") / "world")


@pytest.fixture(scope="session")
def expected(world: World) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(world.expected_path.read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[DemoServer]:
    with DemoServer(world) as running:
        yield running
