# Everything runs from a project virtualenv in .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NEUTRON_PYTHON := .venv-neutron/bin/python
STACK ?= stacks/Pulumi.aws-prod.yaml
FORMAT ?= markdown

.PHONY: setup render-setup render test lint typecheck conformance-setup engine bench synth snapshots clean

# Two steps, so the main job does not wait for the test tools: the component with the
# offline renderer first, then the development and test tools.
$(BIN)/.offline: pyproject.toml
	@echo "== .venv: the component, its Pulumi SDKs and the offline renderer (about a minute the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[offline]'
	touch $@

$(BIN)/.installed: $(BIN)/.offline
	@echo "== .venv: test, lint and type-check tools, moto and the policy SDK"
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

render-setup: $(BIN)/.offline
setup: $(BIN)/.installed

# Real OpenStack services (Neutron, Keystone) for the conformance and engine tests, in
# their own virtualenv.
$(NEUTRON_PYTHON): scripts/neutron-venv.sh
	PYTHON=$(PYTHON) scripts/neutron-venv.sh
	touch $@

conformance-setup: $(NEUTRON_PYTHON)

# The real Pulumi engine in .engine/bin: an installed pulumi CLI, or the CLI, the Python,
# YAML and Node.js language hosts, nodejs-sdkgen and pulumi-resource-openstack built from
# Go modules; and the package's plugin, .engine/plugins/clearwater-sg (scripts/engine.sh).
engine:
	scripts/engine.sh

# The main job: render what the stack program would create, offline (no Pulumi CLI).
render: render-setup
	$(BIN)/python -m offline $(STACK)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Separate runs: mypy refuses two __main__.py modules in one run.
typecheck: setup
	$(BIN)/mypy
	$(BIN)/mypy policy/__main__.py policy/clearwater_pack.py policy/clearwater_checks.py .github/scripts/previewable_stacks.py
	$(BIN)/mypy examples/aws-deployment/__main__.py
	$(BIN)/mypy package/__main__.py
	$(BIN)/mypy scripts/local-ec2.py

# Credential-free rendering of one stack for review: markdown, mermaid or json.
synth: render-setup
	$(BIN)/python -m offline $(STACK) --format $(FORMAT)

# Refresh the committed snapshots/<stack>.json and the README's generated blocks.
snapshots: render-setup
	$(BIN)/python -m offline --update-snapshots --update-readme

# Everything: the conformance tests against live Neutron and moto servers, and the engine
# tests (the real CLI and provider against a live Keystone and Neutron).
test: setup conformance-setup engine
	$(BIN)/python -m pytest

# Rule counts against the port document's minimum, render time at 1, 10 and 50 deployments, and the real engine against Neutron (~4.5 min).
bench: setup conformance-setup engine
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-neutron .engine .pytest_cache .mypy_cache .ruff_cache
