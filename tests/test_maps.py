"""Validity maps (sims/maps): claims about the maps themselves, on tiny grids, plus the `map` command's input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sims.claims.definitions.maps import MapPair
from sims.claims.recording import check_claim
from sims.maps import get_map, run_map
from sims.maps.cells import cell_seed
from sims.maps.grid import parse_grid
from tests.cli_support import run_cli
from theory.validation import InputError

# Rows on both sides of lam_min = -lam_1, where the limit changes from eta lam_1 = 2 to eta (lam_1 - lam_min)/2 = 2.
GD_BOUNDARY_GRID = {"eta_lambda1": tuple(np.round(np.arange(0.25, 3.01, 0.25), 2)),
                    "lambda_min_ratio": (-6.0, -3.0, -1.5, -0.5)}
SMALL_GD = {"eta_lambda1": (0.5, 1.9, 2.3), "lambda_min_ratio": (-4.0, -0.5)}
SMALL_FLOW = {"sigma": (1e-6, 1e-2), "gap": (0.05, 0.4)}


def _run(map_id, grid, out, **options):
    return run_map(get_map(map_id), grid, out=out, progress=False, **options)


@pytest.mark.claim("MAP-GD-BOUNDARY")
def test_gd_map_boundary_lies_on_the_predicted_lines(tmp_path):
    result = _run("gd-stability", GD_BOUNDARY_GRID, tmp_path)
    check_claim("MAP-GD-BOUNDARY", result, problem=f"gd-stability on {GD_BOUNDARY_GRID}")


@pytest.mark.claim("MAP-PARALLEL")
def test_two_worker_cluster_equals_one_process(tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = [_run("gd-stability", SMALL_GD, tmp_path / "serial"), _run("qr-error", SMALL_FLOW, tmp_path / "serial")]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster, set_as_default=False) as client:
        parallel = [_run("gd-stability", SMALL_GD, tmp_path / "dask", client=client),
                    _run("qr-error", SMALL_FLOW, tmp_path / "dask", client=client)]
    for one, two in zip(serial, parallel):
        check_claim("MAP-PARALLEL", MapPair(one, two, f"{one.spec.id}: 1 process vs 2 workers"))


class _Interrupt(Exception):
    pass


@pytest.mark.claim("MAP-RESUME")
def test_interrupted_map_resumes_to_the_same_map(tmp_path):
    grid = {"sigma": (0.05, 0.3, 1.0), "gap": (0.05, 0.4)}
    done = []

    def stop_after_three(record):
        done.append(record["key"])
        if len(done) == 3:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        _run("large-init-order", grid, tmp_path / "resumed", on_record=stop_after_three)
    rerun = []
    resumed = _run("large-init-order", grid, tmp_path / "resumed", on_record=lambda r: rerun.append(r["key"]))
    assert len(rerun) == len(resumed.records) - 3 and not set(rerun) & set(done)
    whole = _run("large-init-order", grid, tmp_path / "whole")
    check_claim("MAP-RESUME", MapPair(resumed, whole, "large-init-order: interrupted after 3 cells vs whole"))


def test_finer_grid_reuses_stored_cells(tmp_path):
    coarse = {"eta_lambda1": (0.5, 2.5), "lambda_min_ratio": (-0.5,)}
    fine = {"eta_lambda1": (0.5, 1.5, 2.5), "lambda_min_ratio": (-2.0, -0.5)}
    _run("gd-stability", coarse, tmp_path)
    computed = []
    result = _run("gd-stability", fine, tmp_path, on_record=lambda r: computed.append(r["params"]))
    assert len(computed) == 6 - 2 and {"eta_lambda1": 0.5, "lambda_min_ratio": -0.5} not in computed
    assert len(result.records) == 6
    # A cell's seed depends on its values, not its position in the grid.
    assert cell_seed(0, "gd-stability", (("eta_lambda1", 0.5), ("lambda_min_ratio", -0.5)), 0) == \
        next(r["seed"] for r in result.records if r["params"] == {"eta_lambda1": 0.5, "lambda_min_ratio": -0.5})


def test_outputs_are_json_npz_png_without_pickles(tmp_path):
    code, out, err = run_cli("map", "gd-stability", "--grid", "eta_lambda1=0.5,2.5", "--grid", "lambda_min_ratio=-0.5",
                             "--workers", "0", "--quiet", "--out", tmp_path)
    assert code == 0, err
    assert "gd-stability: 2 cells" in out
    payload = json.loads((tmp_path / "gd-stability.json").read_text())
    assert payload["claim"] == "GD-STABLE" and len(payload["cells"]) == 2
    assert [c["class"] for c in payload["cells"]][0] == "converges"
    assert payload["cells"][1]["class"] in ("period-2", "period-4/8", "irregular")  # eta lam_1 = 2.5 > 2
    arrays = np.load(tmp_path / "gd-stability.npz", allow_pickle=False)
    assert arrays["status"].shape == (1, 1, 2, 1) and list(arrays["param_eta_lambda1"]) == [0.5, 2.5]
    assert (tmp_path / "gd-stability.png").stat().st_size > 10_000
    assert len(list((tmp_path / ".cells" / "gd-stability").glob("*.json"))) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != ".cells"]


def test_grid_syntax():
    spec = get_map("qr-error")
    grid = parse_grid(spec, ["sigma=1e-6:1e-2:5log", "gap=0.1,0.3,0.2"])
    assert np.allclose(grid["sigma"], [1e-6, 1e-5, 1e-4, 1e-3, 1e-2]) and grid["gap"] == (0.1, 0.2, 0.3)
    assert parse_grid(get_map("sgd-subspace"), ["batch=1000:8000:4log", "sampler=entries"])["batch"] == \
        (1000, 2000, 4000, 8000)
    with pytest.raises(InputError):
        parse_grid(get_map("sgd-subspace"), ["batch=100.5"])


BAD = {
    "empty": ["qr-error", "--grid", "sigma="],
    "non-numeric": ["qr-error", "--grid", "sigma=1e-3,big"],
    "unknown parameter": ["qr-error", "--grid", "eta=1,2"],
    "bad range": ["qr-error", "--grid", "sigma=1e-6:1e-1:xlog"],
    "out of range": ["gd-stability", "--grid", "lambda_min_ratio=-1,2"],
    "unknown map": ["no-such-map"],
    "unreachable scheduler": ["gd-stability", "--scheduler", "tcp://127.0.0.1:9"],
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, name):
    out = tmp_path / "maps"
    code, stdout, stderr = run_cli("map", *BAD[name], "--quiet", "--out", out)
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("w2v-theory map: error:"), stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
