"""``python -m solutions.W1D1_Tutorial2 calibrate [FUNCTION ...] [--runs N]``: re-measure the
statistical tolerances of the hidden checks (see :mod:`.calibration`), then store the runs.

``python -m solutions.W1D1_Tutorial2 runs [FUNCTION ...]``: store what the reference and the known
mistakes do on the trials (see :mod:`.stored`; seconds): after a change to the reference, the
mistakes, the trials or the code that reads a run, which a test reports.

``python -m solutions.W1D1_Tutorial2 self-checks``: re-measure the model's ranges that the
notebook's self-checks compare against (see :mod:`.public`), and print the notebook's
``SELF_CHECK_CALLS`` to paste into the master's setup section.
"""

import argparse

from solutions.W1D1_Tutorial2.calibration import DEFAULT_RUNS, calibrate, write_calibration
from solutions.W1D1_Tutorial2.stored import write_runs
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.W1D1_Tutorial2",
                                     description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("calibrate", help="simulate the reference on every hidden trial")
    run.add_argument("functions", nargs="*", metavar="FUNCTION",
                     help=f"exercise functions to calibrate (default: all of "
                          f"{', '.join(HIDDEN_TRIALS)})")
    run.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="simulations per trial")
    store = commands.add_parser("runs", help="store the reference's and the mistakes' runs")
    store.add_argument("functions", nargs="*", metavar="FUNCTION",
                       help="exercise functions (default: all)")
    commands.add_parser("self-checks", help="measure the ranges of the notebook's self-checks")
    args = parser.parse_args(argv)
    if args.command == "self-checks":
        from solutions.W1D1_Tutorial2.public import measure_ranges, notebook_literal, write_ranges

        print(f"wrote {write_ranges(measure_ranges())}; the notebook's setup section should read:")
        print(notebook_literal())
        return 0
    unknown = sorted(set(args.functions) - set(HIDDEN_TRIALS))
    if unknown:
        parser.error(f"no exercise function {', '.join(unknown)}")
    for function in args.functions or list(HIDDEN_TRIALS):
        if args.command == "calibrate":
            print(f"wrote {write_calibration(calibrate(function, runs=args.runs))}")
        print(f"wrote {write_runs(function)}")
    return 0


raise SystemExit(main())
