"""``python -m autograder gradescope ASSIGNMENT``: the autograder zip of one assignment.

One function per part of the zip (the scripts, the requirements, the course, the grader and the
plug-ins), then :func:`build_autograder_zip`, which never replaces a file it did not make unless
asked to.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from autograder import __version__
from autograder.config import CONFIG_FILE, Settings
from autograder.errors import GraderError
from autograder.gradescope import COURSE, LIBRARY, MADE_BY, MANIFEST

REQUIREMENTS = "requirements.txt"
#: Every entry gets this date: the same course gives the same zip, byte for byte.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu). Running it
# again changes nothing. Written by `python -m autograder gradescope`.
set -euo pipefail
ROOT="${AUTOGRADER_GRADESCOPE_ROOT:-/autograder}"
VENV="${AUTOGRADER_GRADESCOPE_VENV:-$ROOT/venv}"
PYTHON="${AUTOGRADER_GRADESCOPE_PYTHON:-python3}"
SOURCE="$ROOT/source"
if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv python3-pip
    PYTHON=python3
fi
if ! "$VENV/bin/python" -c "" >/dev/null 2>&1; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$SOURCE/requirements.txt"
# The grader and the course's trusted checks run from the unpacked zip.
SITE="$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")"
echo "$SOURCE/python" > "$SITE/autograder-gradescope.pth"
# Records the assignment in the gradebook and prepares the checks once (a broken course fails
# here, while the instructor watches, not at a student's submission).
"$VENV/bin/python" -m autograder.gradescope prepare --root "$ROOT"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades submission/ and writes
# results/results.json. Written by `python -m autograder gradescope`.
ROOT="${AUTOGRADER_GRADESCOPE_ROOT:-/autograder}"
VENV="${AUTOGRADER_GRADESCOPE_VENV:-$ROOT/venv}"
if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$ROOT/results"
    MESSAGE="The autograder is not installed (setup.sh did not finish): tell your instructor."
    printf '{"score": 0, "output": "%s", "visibility": "visible", "tests": []}\n' "$MESSAGE" \
        > "$ROOT/results/results.json"
    echo "no Python environment at $VENV: setup.sh did not finish" >&2
    exit 1
fi
cd "$ROOT"
exec "$VENV/bin/python" -m autograder.gradescope run --root "$ROOT"
"""

EXECUTABLES = ("setup.sh", "run_autograder")


def assignment_plugins(settings: Settings, assignment: str) -> list[str]:
    """The entries of ``c.Autograder.plugins`` that declare checks of this assignment (each is
    imported to find out, as the grader imports them)."""
    from autograder.plugins import load_plugins

    return [spec for spec in settings.options.plugins
            if any(d.assignment == assignment for d in load_plugins([spec]))]


def _skipped(rel: PurePosixPath) -> bool:
    return rel.suffix in (".pyc", ".pyo") or any(
        part == "__pycache__" or part.startswith(".") for part in rel.parts)


def package_files(module: str) -> dict[str, Path]:
    """A module's files by their path in an import folder: its whole folder when it is a package
    (its data files too), else its file; and the ``__init__.py`` of every package above it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        raise GraderError(f"cannot pack {module}: it is not an importable module with files")
    parts = module.split(".")
    origin = Path(spec.origin).resolve()
    files: dict[str, Path] = {}
    if spec.submodule_search_locations:
        folder = origin.parent
        for path in sorted(folder.rglob("*")):
            rel = PurePosixPath(path.relative_to(folder).as_posix())
            if path.is_file() and not path.is_symlink() and not _skipped(rel):
                files["/".join([*parts, str(rel)])] = path
        base = folder.parents[len(parts) - 1]
    else:
        files["/".join([*parts[:-1], origin.name])] = origin
        base = origin.parents[len(parts) - 1]
    for depth in range(1, len(parts)):
        init = base.joinpath(*parts[:depth], "__init__.py")
        if init.is_file():
            files["/".join([*parts[:depth], "__init__.py"])] = init
    return files


def imported_names(path: Path, module: str) -> set[str]:
    """Every module name a file may import (``import a.b``, ``from a import b`` as ``a`` and
    ``a.b``, relative imports resolved), anywhere in it: functions import lazily too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            try:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                   package) if node.level else node.module
            except (ImportError, ValueError):
                continue
            if base:
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:  # a function's name, a parent that is not a package...
        return False


def plugin_files(plugins: list[str]) -> dict[str, Path]:
    """The plug-ins' modules, and every module of their own top-level packages they import
    (a course's shared code), followed from import to import."""
    tops = {spec.partition(":")[0].split(".")[0] for spec in plugins}
    todo = [spec.partition(":")[0] for spec in plugins]
    seen: set[str] = set()
    files: dict[str, Path] = {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        found = package_files(module)
        files.update(found)
        for rel, path in found.items():
            if path.suffix != ".py":
                continue
            name = rel[: -len(".py")].replace("/", ".").removesuffix(".__init__")
            todo += [n for n in imported_names(path, name)
                     if n.split(".")[0] in tops and n not in seen and _is_module(n)]
    return files


def library_files(plugins: list[str]) -> dict[str, Path]:
    """The grader's package and the plug-ins' modules, under ``python/``."""
    files = package_files("autograder")
    files.update(plugin_files(plugins))
    return {f"{LIBRARY}/{name}": path for name, path in files.items()}


def course_files(settings: Settings, assignment: str) -> dict[str, Path]:
    """The assignment's source folder (masters and their files, nbgrader's ignore patterns
    applied) and any header or footer notebook, under ``course/`` as in the course."""
    from nbgrader.preprocessors import IncludeHeaderFooter
    from nbgrader.utils import find_all_files

    from autograder.course import Course
    from autograder.master import master_notebooks

    course = Course.from_settings(settings)
    source = course.source_dir(assignment)
    master_notebooks(source, assignment)  # GraderError when there is no such assignment
    found = [Path(p) for p in find_all_files(str(source), course.ignore)]
    include = IncludeHeaderFooter(config=settings.config)
    found += [settings.root / p for p in (include.header, include.footer) if p]
    files = {}
    for path in found:
        rel = PurePosixPath(Path(os.path.relpath(path, settings.root)).as_posix())
        if ".." in rel.parts:
            raise GraderError(f"cannot pack {path}: it is outside the course {settings.root}")
        if path.is_file() and not path.is_symlink():
            files[f"{COURSE}/{rel}"] = path
    return files


def packed_config(settings: Settings, plugins: list[str]) -> str:
    """The course's nbgrader_config.py, then the plug-ins of this assignment only (the others
    are not packed, and would fail to import)."""
    path = settings.root / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return (text.rstrip("\n") + f"\n\n# Added by `{MADE_BY}`: only this assignment's trusted "
            "checks are packed.\nc = get_config()  # noqa: F821\n"
            f"c.Autograder.plugins = {plugins!r}\n")


def engine_requirements() -> list[str]:
    """The grader's dependencies with their pinned ranges: ``[project] dependencies`` of the
    pyproject.toml the grader comes with, else of its installed distribution (the same list,
    recorded when it was installed)."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"  # beside autograder/
    try:
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("dependencies"):
            return list(project["dependencies"])
    except (ImportError, OSError, ValueError):
        pass
    from importlib.metadata import packages_distributions, requires

    for distribution in packages_distributions().get("autograder", []):
        listed = [r for r in requires(distribution) or [] if "extra ==" not in r]
        if listed:
            return listed
    raise GraderError("cannot find the grader's dependencies (no pyproject.toml beside it, and "
                      "it is not installed)")


def manifest(assignment: str, plugins: list[str], notebooks: list[str]) -> dict:
    return {"made_by": MADE_BY, "assignment": assignment, "notebooks": notebooks,
            "plugins": plugins, "grader_version": __version__}


def made_by_us(path: Path) -> bool:
    """Whether ``path`` is a zip this command wrote (only those are replaced unasked)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read(MANIFEST)).get("made_by") == MADE_BY
    except (OSError, KeyError, ValueError, AttributeError, zipfile.BadZipFile):
        return False


def write_zip(path: Path, entries: dict[str, bytes | Path]) -> None:
    """All entries, written beside ``path`` first and then moved over it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(entries):
                data = entries[name]
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o100755 if name in EXECUTABLES else 0o100644) << 16
                archive.writestr(info, data if isinstance(data, bytes) else data.read_bytes())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _replacing(path: Path, force: bool) -> str | None:
    """What replacing ``path`` means, or GraderError when it must not be replaced."""
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_dir() and not path.is_symlink():
        raise GraderError(f"{path} is a folder: choose another --output")
    if made_by_us(path):
        return f"replaced {path} (an autograder zip this command made)"
    if not force:
        raise GraderError(f"{path} exists and was not made by `{MADE_BY}`: choose another "
                          "--output, or pass --force to replace it")
    return f"replaced {path}, which this command did not make (--force)"


def build_autograder_zip(settings: Settings, assignment: str, output: Path,
                         force: bool = False) -> list[str]:
    """Write the autograder zip of one assignment; returns what to tell the instructor."""
    from autograder.course import Course
    from autograder.master import master_notebooks

    output = Path(output)
    replacing = _replacing(output, force)
    plugins = assignment_plugins(settings, assignment)
    notebooks = [p.stem for p in master_notebooks(
        Course.from_settings(settings).source_dir(assignment), assignment)]
    entries: dict[str, bytes | Path] = {
        "setup.sh": SETUP_SH.encode(), "run_autograder": RUN_AUTOGRADER.encode(),
        REQUIREMENTS: ("\n".join(engine_requirements()) + "\n").encode(),
        MANIFEST: json.dumps(manifest(assignment, plugins, notebooks), indent=1).encode(),
        f"{COURSE}/{CONFIG_FILE}": packed_config(settings, plugins).encode(),
    }
    entries.update(course_files(settings, assignment))
    entries.update(library_files(plugins))
    write_zip(output, entries)
    size = output.stat().st_size
    lines = [replacing] if replacing else []
    lines += [f"wrote {output}: the Gradescope autograder of {assignment} ({len(entries)} files, "
              f"{size / 1024:.0f} KiB; trusted checks: {', '.join(plugins) or 'none'})",
              "upload it as the autograder of a Gradescope programming assignment (Ubuntu base "
              "image); it holds the masters: do not share it with students"]
    return lines
