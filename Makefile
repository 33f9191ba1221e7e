# The two commands of the README. Each does its own set-up on a fresh machine (scripts/setup.sh).
.PHONY: run test lint bench screenshots setup

setup:
	@scripts/setup.sh

run: setup
	.venv/bin/videogen-studio

test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

bench: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/run_all.py

screenshots: setup
	.venv/bin/python scripts/screenshots.py
