"""What a student uploaded to Gradescope, as the files of an assignment folder.

Gradescope puts the upload in ``/autograder/submission`` as it came: a notebook under any name,
several files, or a zip (of the files, or of a folder holding them). Only regular files are read,
links are never followed, a zip never writes outside itself, and the grader's own limits on a
submission folder apply. What cannot be graded gets a one-line reason.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.errors import first_line


@dataclass
class Upload:
    """What the student uploaded, as the files of an assignment folder."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Why nothing can be graded (one line), or None.
    problem: str | None = None


def uploaded_files(folder: Path, max_files: int, max_bytes: int) -> Upload:
    """The regular files of the submission folder (links are noted, never followed)."""
    upload = Upload()
    total = 0
    for top, folders, names in os.walk(folder):
        here = Path(top)
        folders.sort()
        for name in sorted(names) + [f for f in folders if (here / f).is_symlink()]:
            path = here / name
            rel = path.relative_to(folder).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                upload.notes.append(f"{rel} is a symbolic link; it was not followed")
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            total += info.st_size
            if len(upload.files) >= max_files or total > max_bytes:
                upload.problem = (f"the upload holds more than {max_files} files or "
                                  f"{max_bytes // 2**20} MiB")
                return upload
            upload.files[rel] = path.read_bytes()
    return upload


def _member_path(name: str) -> str | None:
    """A zip member's path inside the upload, or None when it would leave it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path.as_posix()


def unzip(name: str, data: bytes, max_files: int, max_bytes: int) -> Upload:
    """The files of an uploaded zip (no links, nothing outside it, within the limits)."""
    upload = Upload()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        upload.problem = f"{name} is not a zip archive that can be opened ({first_line(exc)})"
        return upload
    total = 0
    for member in members:
        target = _member_path(member.filename)
        if target is None or stat.S_ISLNK(member.external_attr >> 16):
            upload.notes.append(f"{name}: {member.filename} was skipped (a link, or a path "
                                "outside the archive)")
            continue
        total += member.file_size
        if len(upload.files) >= max_files or total > max_bytes:
            upload.problem = f"{name} holds more than {max_files} files or " \
                             f"{max_bytes // 2**20} MiB"
            return upload
        try:
            with archive.open(member) as handle:  # reads at most the size declared
                upload.files[target] = handle.read()
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
                ValueError) as exc:
            upload.notes.append(f"{name}: {member.filename} cannot be read ({first_line(exc)})")
    if not upload.files and upload.problem is None:
        upload.problem = f"{name} is empty: it holds no file"
    return upload


def _is_notebook(rel: str) -> bool:
    parts = rel.split("/")
    return rel.endswith(".ipynb") and not any(
        p.startswith(".") or p == "__MACOSX" for p in parts)


def expand_zips(upload: Upload, max_files: int, max_bytes: int) -> Upload:
    """An upload without a notebook but with zip archives: their contents instead."""
    if upload.problem or any(_is_notebook(n) for n in upload.files):
        return upload
    archives = [n for n in sorted(upload.files) if n.lower().endswith(".zip")]
    if not archives:
        return upload
    expanded = Upload(notes=list(upload.notes))
    for name in archives:
        inner = unzip(name, upload.files[name], max_files, max_bytes)
        expanded.notes += inner.notes
        if inner.problem:
            expanded.problem = inner.problem
            return expanded
        expanded.files.update(inner.files)
    return expanded


def _shown(names, limit: int = 5) -> str:
    names = sorted(names)
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit
                                       else "")


def as_assignment_folder(upload: Upload, notebooks: list[str]) -> Upload:
    """The upload's files relative to the folder that holds the assignment's notebooks (a zip of
    a folder works too). The only notebook of a one-notebook assignment is graded whatever its
    file name."""
    if upload.problem:
        return upload
    if not upload.files:
        return Upload(notes=upload.notes, problem="nothing was uploaded")
    found = [n for n in upload.files if _is_notebook(n)]
    expected = {f"{name}.ipynb" for name in notebooks}
    matching = sorted((n for n in found if n.rsplit("/", 1)[-1] in expected),
                      key=lambda n: (n.count("/"), n))
    rename = {}
    if matching:
        base = matching[0].rpartition("/")[0]
    elif len(found) == 1 and len(notebooks) == 1:
        base = found[0].rpartition("/")[0]
        rename = {found[0]: f"{base}/{notebooks[0]}.ipynb".lstrip("/")}
    elif found:
        return Upload(notes=upload.notes, problem=f"the upload has no notebook named "
                      f"{_shown(expected)} (it has {_shown(found)})")
    else:
        return Upload(notes=upload.notes, problem=f"the upload holds no notebook (it has "
                      f"{_shown(upload.files)}): upload {_shown(expected)}")
    prefix = f"{base}/" if base else ""
    folder = Upload(notes=list(upload.notes))
    left = []
    for name, data in upload.files.items():
        if name.startswith(prefix) and not name.startswith("__MACOSX/"):
            folder.files[rename.get(name, name)[len(prefix):]] = data
        elif not name.startswith("__MACOSX/"):
            left.append(name)
    if left:
        folder.notes.append(f"not beside the notebook, so not graded with it: {_shown(left)}")
    for old, new in rename.items():
        folder.notes.append(f"{old.rsplit('/', 1)[-1]} was graded as {new.rsplit('/', 1)[-1]}")
    return folder


def read_upload(folder: Path, notebooks: list[str], max_files: int, max_bytes: int) -> Upload:
    """The submission folder as an assignment folder, or the one-line reason it is not one."""
    upload = uploaded_files(folder, max_files, max_bytes)
    return as_assignment_folder(expand_zips(upload, max_files, max_bytes), notebooks)


def place(upload: Upload, folder: Path) -> None:
    """Write the upload where ``nbgrader collect`` would leave it."""
    for rel, data in upload.files.items():
        target = folder.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
