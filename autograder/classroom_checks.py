"""The public checks of a GitHub Classroom repository: run the notebooks, score the public tests.

``python -m autograder classroom`` copies this file, unchanged, into a student repository
template as ``.github/classroom/public_checks.py``, beside ``public_tests.json`` (which notebooks,
which public test cells and their points, the read-only cells as released). It runs on GitHub's
machines, where neither the grader nor the course is installed, so it needs only the standard
library, nbformat and nbclient (with ipykernel for the kernel)::

    python .github/classroom/public_checks.py run
        execute every notebook once and record each public test cell's result
    python .github/classroom/public_checks.py score NOTEBOOK CELL
        say how that cell did; exit status 0 when it passed (GitHub Classroom's command
        grader then awards its points), 1 when it did not

A cell is scored the way nbgrader scores a test cell: its points when it ran without an error,
else nothing. As nbgrader does before it grades, the read-only cells (tests included) are first
put back as they were released, so editing a test cell does not make it pass; a deleted test
cell scores nothing. The notebook runs with ``NBGRADER_EXECUTION=autograde``, as under nbgrader.
The hidden tests are not here: they run only when the instructor grades the collected work.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "public_tests.json"
RESULTS = HERE / "results.json"
#: The repository's root: this file sits in .github/classroom/.
ROOT = HERE.parents[1]


def restore_locked_cells(nb, locked: dict) -> None:
    """Put every read-only cell back as released (nbgrader's OverwriteCells does the same)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

    makers = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}
    for position, cell in enumerate(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        original = locked.get(grade_id)
        if original is None:
            continue
        if cell.cell_type == original["cell_type"]:
            cell.source = original["source"]
        else:
            nb.cells[position] = makers[original["cell_type"]](original["source"],
                                                               metadata=cell.metadata)


def execute(nb, folder: Path, cell_timeout: float) -> str | None:
    """Run the notebook in a fresh kernel, in its folder; errors stay in the cells' outputs.
    Returns why the run stopped early, if it did."""
    from nbclient import NotebookClient

    os.environ["NBGRADER_EXECUTION"] = "autograde"  # the kernel inherits it
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except Exception as exc:  # a dead kernel, say: the cells that ran keep their outputs
        return f"the notebook stopped early ({type(exc).__name__}: {exc})".splitlines()[0]
    return None


def cell_result(cell, points: float, stopped: str | None) -> dict:
    """nbgrader's rule for a test cell: its points unless it raised (or never ran)."""
    if cell is None:
        return {"passed": False, "points": 0, "message": "the test cell is missing"}
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        message = f"{errors[0].get('ename', 'Error')}: {errors[0].get('evalue', '')}"
        return {"passed": False, "points": 0, "message": message}
    if cell.get("execution_count") is None:
        return {"passed": False, "points": 0, "message": stopped or "the cell did not run"}
    return {"passed": True, "points": points, "message": "passed"}


def run_notebook(name: str, spec: dict, cell_timeout: float) -> dict:
    import nbformat

    path = ROOT / name
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:
        reason = f"{name} cannot be read ({type(exc).__name__}: {exc})".splitlines()[0]
        return {cell: {"passed": False, "points": 0, "message": reason} for cell in spec["public"]}
    restore_locked_cells(nb, spec["locked"])
    stopped = execute(nb, path.parent, cell_timeout)
    by_id = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    return {cell: cell_result(by_id.get(cell), points, stopped)
            for cell, points in spec["public"].items()}


def run() -> int:
    """Execute every notebook once; write results.json; print a summary. Always exits 0: the
    scoring steps report what failed."""
    manifest = json.loads(MANIFEST.read_text())
    if RESULTS.exists():
        RESULTS.unlink()
    results = {name: run_notebook(name, spec, manifest["cell_timeout"])
               for name, spec in manifest["notebooks"].items()}
    RESULTS.write_text(json.dumps(results, indent=1))
    total = possible = 0
    for name, cells in results.items():
        for cell, result in cells.items():
            worth = manifest["notebooks"][name]["public"][cell]
            total, possible = total + result["points"], possible + worth
            mark = "PASS" if result["passed"] else "FAIL"
            print(f"{mark} {name}: {cell} ({result['points']:g} / {worth:g}): {result['message']}")
    print(f"public checks: {total:g} / {possible:g} points "
          "(hidden checks run when your work is graded)")
    return 0


def score(notebook: str, cell: str) -> int:
    """Exit status 0 when the cell passed in the last run, else 1 (never anything on stderr:
    an older GitHub Classroom grader counts any error output as a failure)."""
    try:
        result = json.loads(RESULTS.read_text())[notebook][cell]
    except (OSError, ValueError, KeyError):
        print(f"{notebook}: {cell}: no result (the step that runs the notebooks did not finish)")
        return 1
    print(f"{notebook}: {cell}: {result['message']}")
    return 0 if result["passed"] else 1


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"] and len(argv) == 1:
        return run()
    if argv[:1] == ["score"] and len(argv) == 3:
        return score(argv[1], argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
