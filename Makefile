# Two commands set everything up on a fresh machine with Python >= 3.10:
#   make demo   build a sample class, autograde it, print the grades, write the report
#   make test   the whole test suite (installs what it needs first)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
ASSIGNMENT := W1D1_Tutorial2
# nbgrader runs `alembic` when it creates a gradebook: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo test release lint clean-demo benchmark help

help:
	@echo "make demo      sample class -> autograde -> grades table, report and feedback"
	@echo "make test      the whole test suite"
	@echo "make release   regenerate release/ (and the example figures) from source/"
	@echo "make benchmark grading speed against nbgrader autograde, checks' cost"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

release: install
	$(PY) -m autograder release $(ASSIGNMENT)

clean-demo:
	rm -rf submitted autograded feedback reports grades gradebook.db grades.csv

demo: install clean-demo
	$(PY) -m autograder release $(ASSIGNMENT)
	$(PY) -m autograder demo-class $(ASSIGNMENT)
	$(PY) -m autograder grade $(ASSIGNMENT)
	$(BIN)/nbgrader export --log-level=WARN
	$(PY) -m autograder report $(ASSIGNMENT)
	$(PY) -m autograder feedback $(ASSIGNMENT)
	@echo
	@echo "Per-student grades (from the gradebook, via nbgrader export -> grades.csv):"
	@$(PY) -c "import csv; rows = list(csv.DictReader(open('grades.csv'))); \
	print(f\"{'student':<10}{'score':>7}{'max':>6}\"); \
	[print(f\"{r['student_id']:<10}{float(r['score']):>7g}{float(r['max_score']):>6g}\") \
	 for r in sorted(rows, key=lambda r: r['student_id'])]"
	@echo
	@echo "Class report:  reports/$(ASSIGNMENT)/index.html"
	@echo "Feedback:      feedback/<student>/$(ASSIGNMENT)/$(ASSIGNMENT).html"

test: install
	$(PY) -m pytest

lint: install
	$(BIN)/ruff check .

benchmark: install
	$(PY) benchmarks/checks_cost.py
	$(PY) benchmarks/grading_speed.py
	$(PY) benchmarks/report_speed.py
