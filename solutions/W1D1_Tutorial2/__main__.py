"""``python -m solutions.W1D1_Tutorial2 calibrate [FUNCTION ...] [--runs N]``: re-measure the
statistical tolerances of the hidden checks (see :mod:`.calibration`)."""

import argparse

from solutions.W1D1_Tutorial2.calibration import DEFAULT_RUNS, calibrate, write_calibration
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
    args = parser.parse_args(argv)
    unknown = sorted(set(args.functions) - set(HIDDEN_TRIALS))
    if unknown:
        parser.error(f"no exercise function {', '.join(unknown)}")
    for function in args.functions or list(HIDDEN_TRIALS):
        print(f"wrote {write_calibration(calibrate(function, runs=args.runs))}")
    return 0


raise SystemExit(main())
