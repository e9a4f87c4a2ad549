"""``python -m autograder.gradescope {prepare,run}``, as setup.sh and run_autograder call it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.errors import GraderError
from autograder.gradescope import DEFAULT_ROOT, ROOT_ENV


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 done (``run`` always, once results.json is written), 2 ``prepare`` found
    the packed course unusable (one line on stderr says why)."""
    sys.modules.setdefault("rfc3987_syntax", None)  # as python -m autograder does: 3 s less
    from autograder.gradescope.run import Layout, prepare, run

    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope",
                                     description="the grader's steps inside Gradescope")
    parser.add_argument("step", choices=("prepare", "run"),
                        help="prepare: once, from setup.sh; run: per submission")
    parser.add_argument("--root", type=Path,
                        default=Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT),
                        help=f"Gradescope's folder (default: ${ROOT_ENV}, else {DEFAULT_ROOT})")
    args = parser.parse_args(argv)
    layout = Layout(args.root.resolve())
    if args.step == "run":
        return run(layout)
    try:
        for line in prepare(layout):
            print(line)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
