"""Generated plots with known data, rendered once per session (vector PDFs)."""

import pytest

from tests.fixtures.plots.generate import generate_cases


@pytest.fixture(scope="session")
def quick_plots(tmp_path_factory):
    """20 seeded vector plots (seed 1: not the 100 of the slow suite)."""
    return generate_cases(tmp_path_factory.mktemp("plots_quick"), n=20, seed=1)


@pytest.fixture(scope="session")
def all_plots(tmp_path_factory):
    return generate_cases(tmp_path_factory.mktemp("plots_all"), n=100, seed=0)
