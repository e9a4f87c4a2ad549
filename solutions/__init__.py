"""Course content: what belongs to this course's tutorials, not to the grader.

One package per assignment, named like its folder in ``source/`` and ``release/``:

* ``W1D1_Tutorial2``: the reference model of the "How models" tutorial (the single source of
  truth), the trials, known mistakes and calibration of its trusted checks, the catalogue of
  student answers, and the class report's spike-statistics panels.
* ``W1D1_Tutorial2_Bonus``: the follow-up assignment from the tutorial's Bonus, the leaky
  integrate-and-fire neuron in physical units: its reference model, the hidden trials and known
  mistakes of its trusted checks, its answer catalogue, report panels and demo class.

The grader (``autograder/``) knows none of this; ``nbgrader_config.py`` binds each assignment's
trusted checks to its test cells (``c.Autograder.plugins``).
"""
