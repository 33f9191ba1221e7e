# The two commands of the README (`make run`, `make test`). Each does its own set-up on a fresh machine
# (scripts/setup.sh). `.ci/run` calls `make test`.
.PHONY: run test pytest lint typecheck contracts bench soak screenshots setup

setup:
	@scripts/setup.sh

run: setup
	.venv/bin/videogen-studio

# The checks (ruff, mypy, import contracts) run beside pytest, each target's output kept together (-O).
test: setup
	@$(MAKE) --no-print-directory -j4 -Otarget lint typecheck contracts pytest

# Tests run in parallel, one by one (3 workers per core: the suite mostly waits on loopback HTTP);
# tests/conftest.py keeps the contract suite and the modules with module-scoped media in one worker each.
# Bytecode caching stays on here: without it every worker re-compiles the rewritten test modules.
pytest: setup
	QT_QPA_PLATFORM=offscreen PYTHONDONTWRITEBYTECODE= .venv/bin/python -m pytest -q -n auto --dist loadgroup

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# api/, pipeline/ and fileio with --strict's flags (pyproject's [tool.mypy] overrides), the rest with the
# project's settings, in one run (two runs with different options each invalidated the other's cache).
typecheck: setup
	.venv/bin/mypy videogen_studio

# Layer rules from pyproject's [tool.importlinter]: no Qt below ui/, ui/ never imports the sandbox, …
contracts: setup
	PYTHONPATH=.venv/lint .venv/lint/bin/lint-imports

bench: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/run_all.py

# Crashes, rivals and hostile servers against the sandbox; prints jobs asked/done/lost, avatars paid per job
# and key occurrences. Bounded (a few minutes).
soak: setup
	.venv/bin/python scripts/soak.py

screenshots: setup
	.venv/bin/python scripts/screenshots.py
