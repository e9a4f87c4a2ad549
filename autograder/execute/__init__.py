"""Execute a sanitized submission in an isolated, disposable process and return plain data.

Layout: :mod:`.job` (what goes in and comes out), :mod:`.zygote` (a warm process that never
touches submission data and forks one supervisor per job), :mod:`.supervisor` (runs one job:
forks the sandboxed child, enforces time and output limits from outside, kills what is left),
:mod:`.child` and :mod:`.isolation` (what happens inside the sandbox), :mod:`.shell` (IPython
without a kernel, capturing outputs), :mod:`.pool` (local workers or a Dask cluster).
"""
