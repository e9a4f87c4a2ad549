"""A probe may pass NumPy arrays to a notebook function: they cross to the sandbox as numbers and
every call gets an array of its own."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.execute.observe import Probe, observe
from autograder.execute.protocol import decode, encode


def test_an_array_argument_crosses_the_protocol_as_float64_numbers():
    current = np.random.default_rng(1).normal(size=257)
    probe = Probe("p", "f", {"I": current, "dt": 0.125, "label": "x"})
    message = decode(encode({"probe": probe.as_dict()})[4:])
    back = Probe.from_dict(message["probe"])
    assert isinstance(back.kwargs["I"], np.ndarray) and back.kwargs["I"].dtype == np.float64
    assert np.array_equal(back.kwargs["I"], current)
    assert back.kwargs["dt"] == 0.125 and back.kwargs["label"] == "x"


@pytest.mark.parametrize("value", [[1.0, 2.0], {"a": 1}, {"__ndarray__": 3, "b": 1}, None],
                         ids=["a list stays a list", "a dict stays a dict",
                              "a dict with more keys stays a dict", "None stays None"])
def test_other_arguments_cross_unchanged(value):
    probe = Probe("p", "f", {"x": value})
    assert Probe.from_dict(json.loads(json.dumps(probe.as_dict()))).kwargs["x"] == value


def test_an_answer_that_changes_its_argument_in_place_changes_only_its_own_copy():
    current = np.ones(5)

    def doubles_in_place(values):
        values *= 2
        return float(values.sum())

    probe = Probe("p", "doubles_in_place", {"values": current})
    assert observe(doubles_in_place, probe).value.as_array() == 10.0
    assert observe(doubles_in_place, probe).value.as_array() == 10.0
    assert np.array_equal(current, np.ones(5))
