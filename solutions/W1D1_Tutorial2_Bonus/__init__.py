"""The bonus assignment of the "How models" tutorial (W1D1 Tutorial 2, Bonus): the leaky
integrate-and-fire neuron in physical units.

``CHECKS`` binds the trusted checks to the master's test cells; ``nbgrader_config.py`` lists it
in ``c.Autograder.plugins``. The master's hidden test cells of Exercises 1 and 3 call
:func:`check_simulate_lif` and :func:`check_lif_rate`, so that plain ``nbgrader autograde``
grades with the same verdict code, inside the student's kernel. Exercise 2 is graded by plain
nbgrader asserts only, and Exercise 3's written answer by hand.
"""

from autograder.plugins import AssignmentChecks
from solutions.W1D1_Tutorial2_Bonus.checks import RateCheck, SimulationCheck

ASSIGNMENT = "W1D1_Tutorial2_Bonus"


def _report_panels(results, folder):
    from solutions.W1D1_Tutorial2_Bonus.report import panels

    return panels(results, folder)


def _sample_class(release_folder):
    from solutions.W1D1_Tutorial2_Bonus.democlass import sample_class

    return sample_class(release_folder)


CHECKS = AssignmentChecks(
    assignment=ASSIGNMENT,
    notebook=ASSIGNMENT,
    checks={"ex1_hidden": SimulationCheck(), "ex3_hidden": RateCheck()},
    report_panels=_report_panels,
    sample_class=_sample_class,
)


def check_simulate_lif(func) -> None:
    """Hidden checks of Exercise 1: raise AssertionError naming the problem, else print a pass."""
    from solutions.W1D1_Tutorial2_Bonus.notebook_checks import check_simulate_lif as check

    check(func)


def check_lif_rate(func) -> None:
    """Hidden checks of Exercise 3: raise AssertionError naming the problem, else print a pass."""
    from solutions.W1D1_Tutorial2_Bonus.notebook_checks import check_lif_rate as check

    check(func)


__all__ = ["ASSIGNMENT", "CHECKS", "check_lif_rate", "check_simulate_lif"]
