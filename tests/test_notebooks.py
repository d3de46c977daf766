"""Every notebook in notebooks/ runs top to bottom, and is stored clean.

Each notebook is executed in a fresh kernel, as a user would run it, in
fast mode (`NNZOO_FAST=1`: fewer epochs and samples), with the working
directory `notebooks/` and the repository root on `PYTHONPATH` (nnzoo need
not be installed). Files a notebook writes go to `NNZOO_OUT`, a temporary
folder here. New notebooks are picked up by the glob.

The execution tests skip when nbclient, nbformat or ipykernel are missing
(`pip install nnzoo[notebooks]`); the cleanliness checks need only the
standard library.
"""

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Seconds one cell may run in fast mode (generous: CI machines can be loaded).
CELL_TIMEOUT = 300
#: Seconds the kernel may take to start.
STARTUP_TIMEOUT = 120


def _ids(path: Path) -> str:
    return path.stem


def _source(cell) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code_cells = [(i, c) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    dirty = [i for i, c in code_cells if c.get("outputs") or c.get("execution_count") is not None]
    assert not dirty, (
        f"{path.name}: cells {dirty} hold outputs or execution counts. Notebooks are stored clean: clear "
        "them before committing (Jupyter: Edit > Clear Outputs of All Cells, then save; or "
        f"`jupyter nbconvert --clear-output --inplace notebooks/{path.name}` where nbconvert is installed)."
    )
    assert any("NNZOO_FAST" in _source(c) for _, c in code_cells), (
        f"{path.name} does not read NNZOO_FAST; the test suite runs every notebook in fast mode, "
        "so each one must lower its epochs and sizes when NNZOO_FAST=1."
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_runs_top_to_bottom(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    notebook = nbformat.read(path, as_version=4)
    env = {
        **os.environ,
        "NNZOO_FAST": "1",
        "NNZOO_OUT": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name="python3",  # the kernel runs this interpreter (jupyter_client maps "python" to it)
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},  # the working directory
    )
    before = _files(NOTEBOOK_DIR)
    client.execute(env=env)  # raises CellExecutionError with the failing cell and its traceback
    littered = sorted(_files(NOTEBOOK_DIR) - before)
    assert not littered, f"{path.name} wrote {littered} beside the notebooks; write files under NNZOO_OUT instead"
