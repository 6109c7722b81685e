import pytest

from tests.fixtures.plots.generate import generate_cases


@pytest.fixture(scope="session")
def stage_plots(tmp_path_factory):
    """Six seeded vector plots (seed 2) for the stage tests."""
    return generate_cases(tmp_path_factory.mktemp("plots_stage"), n=6, seed=2)
