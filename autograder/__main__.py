import sys

# jsonschema (through nbformat) imports rfc3987_syntax when it is installed, which compiles ~35
# Lark grammars at import: about 3 s of every command's start-up, for an "iri" string format no
# notebook schema uses (python-jsonschema/jsonschema#1428). Marking it absent makes jsonschema
# skip that one format checker.
sys.modules.setdefault("rfc3987_syntax", None)

from autograder.cli import main  # noqa: E402

raise SystemExit(main())
