"""Shared fixtures. Tests that need LibreOffice skip with a clear reason on a
laptop without it, but fail in CI (CI=true), where .ci/run installs it."""

from __future__ import annotations

import os

import pytest
from libreoffice_recalc import soffice


@pytest.fixture(scope="session")
def libreoffice() -> str:
    exe = soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc-nogui")
    return exe


@pytest.fixture(scope="session")
def uno_office():
    """One real LibreOffice for the session, driven through UNO with a private
    fr-FR profile (tests/libreoffice_uno.py). Skips when soffice or the
    system Python's uno is missing; fails instead in CI."""
    from libreoffice_uno import missing_requirements, start_office

    why = missing_requirements()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (required in CI: .ci/run installs libreoffice-calc-nogui and python3-uno)")
        pytest.skip(why)
    office = start_office()
    yield office
    office.stop()


_SLOW_FIXTURES = {"libreoffice", "uno_office"}


def pytest_collection_modifyitems(config, items):
    """Every test that starts LibreOffice belongs to the slow tier
    (``pytest -m "not slow"`` is the quick one, for daily work)."""
    for item in items:
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
