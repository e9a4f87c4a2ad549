"""Hidden checks of the two exercises.

The master notebook's hidden test cells call :func:`check_lif_neuron` and
:func:`check_lif_neuron_inh`, so that plain ``nbgrader autograde`` grades with them; the batch
grader runs the same verdict code on plain data returned by the sandbox.

The names are imported lazily: the sandbox imports :mod:`autograder.checks.observe` and
:mod:`autograder.checks.trials` before it runs student code, and must not pull the reference
model (``solutions``) into memory that student code could read.
"""

from importlib import import_module

__all__ = ["assert_trial_passes", "check_function", "check_lif_neuron", "check_lif_neuron_inh"]


def __getattr__(name: str):
    if name in __all__:
        return getattr(import_module("autograder.checks.hidden"), name)
    raise AttributeError(f"module 'autograder.checks' has no attribute {name!r}")
