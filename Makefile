# Two commands set everything up on a fresh machine with Python >= 3.10:
#   make demo   build a demonstration course in demo-course/, autograde it, print the grades,
#               write the report and feedback (the course itself is never touched)
#   make test   the whole test suite (installs what it needs first)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
ASSIGNMENTS := W1D1_Tutorial2 W1D1_Tutorial2_Bonus
DEMO   := demo-course
# nbgrader runs `alembic` when it creates a gradebook: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo test release lint benchmark calibrate help

help:
	@echo "make demo      a demonstration course in $(DEMO)/: sample class -> grade -> report, feedback"
	@echo "make test      the whole test suite"
	@echo "make release   regenerate release/ (and the example figures) from source/"
	@echo "make benchmark grading speed against nbgrader autograde, checks' cost"
	@echo "make calibrate re-measure the statistical tolerances of the trusted checks, store their runs"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

release: install
	for a in $(ASSIGNMENTS); do $(PY) -m autograder release $$a || exit 1; done

demo: install
	$(PY) -m autograder demo $(DEMO)
	for a in $(ASSIGNMENTS); do \
	  $(PY) -m autograder grade $$a --course-dir $(DEMO) && \
	  $(PY) -m autograder feedback $$a --course-dir $(DEMO) && \
	  $(PY) -m autograder report $$a --course-dir $(DEMO) || exit 1; \
	done
	cd $(DEMO) && $(abspath $(BIN))/nbgrader export --log-level=WARN
	@echo
	@echo "Per-student grades (from the gradebook, via nbgrader export -> $(DEMO)/grades.csv):"
	@$(PY) -c "import csv; rows = list(csv.DictReader(open('$(DEMO)/grades.csv'))); \
	print(f\"{'assignment':<24}{'student':<10}{'score':>7}{'max':>6}\"); \
	[print(f\"{r['assignment']:<24}{r['student_id']:<10}{float(r['score']):>7g}{float(r['max_score']):>6g}\") \
	 for r in sorted(rows, key=lambda r: (r['assignment'], r['student_id']))]"
	@echo
	@for a in $(ASSIGNMENTS); do \
	  echo "Class report:  $(DEMO)/reports/$$a/index.html"; \
	  echo "Feedback:      $(DEMO)/feedback/<student>/$$a/$$a.html"; \
	done

test: install
	$(PY) -m pytest

lint: install
	$(BIN)/ruff check .

calibrate: install
	$(PY) -m solutions.W1D1_Tutorial2 calibrate

benchmark: install
	$(PY) benchmarks/checks_cost.py
	$(PY) benchmarks/grading_speed.py
	$(PY) benchmarks/report_speed.py
