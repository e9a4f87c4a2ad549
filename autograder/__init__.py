"""A sandboxed, parallel drop-in for ``nbgrader autograde``, with trusted checks as plug-ins."""

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("how-models-course")
except (ImportError, PackageNotFoundError):  # run from a checkout without installing
    __version__ = "0+unknown"
