import sys

# jsonschema (through nbformat) imports rfc3987_syntax when it is installed, which compiles ~35
# Lark grammars at import: about 3 s of every command's start-up, for an "iri" string format no
# notebook schema uses (python-jsonschema/jsonschema#1428). Marking it absent makes jsonschema
# skip that one format checker.
sys.modules.setdefault("rfc3987_syntax", None)

import logging  # noqa: E402
import os  # noqa: E402

from autograder.cli import main  # noqa: E402

try:
    code = main()
except SystemExit as exit_:  # argparse's --help and usage errors
    code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    if exit_.code is not None and not isinstance(exit_.code, int):
        print(exit_.code, file=sys.stderr)
# Every file is written and closed and the gradebook committed by now: leave without tearing
# down the loaded libraries object by object (a tenth of a second or more of every command).
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
