"""The "How models" tutorial (W1D1 Tutorial 2): its reference model and trusted checks.

``CHECKS`` binds the checks to the master's test cells; ``nbgrader_config.py`` lists it in
``c.Autograder.plugins``. The master's hidden test cells call :func:`check_lif_neuron` and
:func:`check_lif_neuron_inh`, so that plain ``nbgrader autograde`` grades with the same verdict
code, inside the student's kernel.
"""

from autograder.plugins import AssignmentChecks
from solutions.W1D1_Tutorial2.checks import HiddenModelCheck, SelfCheckMirror


def __getattr__(name):
    """The reference functions, imported when first asked for: they need scipy.stats, which
    costs the grader half a second at its start, before any check needs the reference."""
    if name in ("lif_neuron", "lif_neuron_inh"):
        from solutions.W1D1_Tutorial2 import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _report_panels(results, folder):
    from solutions.W1D1_Tutorial2.report import panels

    return panels(results, folder)


def _sample_class(release_folder):
    from solutions.W1D1_Tutorial2.democlass import sample_class

    return sample_class(release_folder)


CHECKS = AssignmentChecks(
    assignment="W1D1_Tutorial2",
    notebook="W1D1_Tutorial2",
    checks={
        "ex1_public": SelfCheckMirror("lif_neuron"),
        "ex1_hidden": HiddenModelCheck("lif_neuron"),
        "ex2_public": SelfCheckMirror("lif_neuron_inh"),
        "ex2_hidden": HiddenModelCheck("lif_neuron_inh"),
    },
    report_panels=_report_panels,
    sample_class=_sample_class,
)


def check_lif_neuron(func) -> None:
    """Hidden checks of Exercise 1: raise AssertionError naming the problem, else print a pass."""
    from solutions.W1D1_Tutorial2.notebook_checks import check_lif_neuron as check

    check(func)


def check_lif_neuron_inh(func) -> None:
    """Hidden checks of Exercise 2: raise AssertionError naming the problem, else print a pass."""
    from solutions.W1D1_Tutorial2.notebook_checks import check_lif_neuron_inh as check

    check(func)


__all__ = ["CHECKS", "check_lif_neuron", "check_lif_neuron_inh", "lif_neuron", "lif_neuron_inh"]
