"""The ``save_mmm`` pickle through the optional ``meridian`` extra (TensorFlow): slow, skipped without it.

``pip install 'mixscope[meridian]'`` (or ``make test-meridian``, which does it in its own venv) to run it.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.run import load_run
from tests.meridian.conftest import fixture_paths, reference

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("kind", ["national", "geo"])
def test_the_pickle_imports_with_meridians_settings_and_answers(kind, tmp_path):
    meridian = pytest.importorskip("meridian")
    _, pickle, csv, _ = fixture_paths(kind)
    result = CliRunner().invoke(
        app, ["import-meridian", str(pickle), "--data", str(csv), "--out", str(tmp_path / "run")]
    )
    assert result.exit_code == 0, result.output
    summary = load_run(tmp_path / "run").summary
    source = summary["meridian"]
    assert source["source_kind"] == "pickle" and source["meridian_version"] == meridian.__version__
    assert source["model_spec"]["max_lag"] == 8 and source["model_spec"]["roi_prior"] == pytest.approx(
        {"loc": 0.2, "scale": 0.9})
    assert source["roi_check"]["checked"]
    expected = reference(kind)
    for channel, value in expected["roi"].items():
        assert source["roi"][channel]["mean"] == pytest.approx(value["mean"], rel=0.01)
        assert source["incremental_outcome"][channel]["mean"] == pytest.approx(
            expected["incremental_outcome"][channel]["mean"], rel=0.01)


def test_a_pickle_carries_its_own_data(tmp_path):
    pytest.importorskip("meridian")
    from mixscope.meridian import import_meridian

    _, pickle, csv, _ = fixture_paths("national")
    alone = import_meridian(pickle, tmp_path / "alone").summary["meridian"]
    with_csv = import_meridian(pickle, tmp_path / "csv", data=csv).summary["meridian"]
    assert alone["data"] == str((tmp_path / "alone" / "data.parquet").resolve())
    for channel, value in with_csv["roi"].items():
        assert alone["roi"][channel]["mean"] == pytest.approx(value["mean"], rel=1e-6)
    # The run's own snapshot is its spec's data file: `mixscope fit RUN/spec.toml` refits the same data.
    assert load_run(tmp_path / "alone").spec.data.path == tmp_path.resolve() / "alone" / "data.parquet"
