# Everything runs from a project virtualenv in .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NEUTRON_PYTHON := .venv-neutron/bin/python
STACK ?= stacks/Pulumi.aws-prod.yaml
FORMAT ?= markdown

.PHONY: setup render-setup render test lint typecheck conformance-setup dataplane-setup engine bench synth snapshots wire locks upgrade clean

# Every virtualenv is made from its lock in requirements/ (requirements/README.md): uv, pip
# and setuptools first, then `uv pip sync` of the lock (exact versions, hashes checked,
# anything else removed), then the project itself, editable and without its dependencies.
# Two steps, so the main job does not wait for the test tools: the component with the
# offline renderer first, then the development and test tools.
UV := $(BIN)/uv
SYNC := $(UV) pip sync --quiet --require-hashes --no-build-isolation --python $(BIN)/python
EDITABLE := $(UV) pip install --quiet --no-deps --no-build-isolation --python $(BIN)/python -e .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/.offline: requirements/bootstrap.txt requirements/render.txt | $(BIN)/python
	@echo "== .venv: the component, its Pulumi SDKs and the offline renderer, from requirements/render.txt"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/bootstrap.txt
	$(SYNC) requirements/render.txt
	$(EDITABLE)
	touch $@

$(BIN)/.installed: $(BIN)/.offline requirements/dev.txt
	@echo "== .venv: test, lint and type-check tools, moto and the policy SDK, from requirements/dev.txt"
	$(SYNC) requirements/dev.txt
	$(EDITABLE)
	touch $@

render-setup: $(BIN)/.offline
setup: $(BIN)/.installed

# Real OpenStack services (Neutron, Keystone) for the conformance and engine tests, in
# their own virtualenv, from requirements/openstack-services.txt.
$(NEUTRON_PYTHON): scripts/neutron-venv.sh requirements/openstack-services.txt
	PYTHON=$(PYTHON) scripts/neutron-venv.sh
	touch $@

conformance-setup: $(NEUTRON_PYTHON)

# The data plane behind Neutron (tests/dataplane, harness/dataplane.py): Open vSwitch, OVN
# and MariaDB from Debian's packages, as root; instant when they are installed.
dataplane-setup:
	scripts/dataplane-setup.sh

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

# Everything: the conformance tests against live Neutron and moto servers, the engine
# tests (the real CLI and provider against a live Keystone and Neutron), and the data-plane
# tests (what those groups let through, on Open vSwitch and OVN behind Neutron).
test: setup conformance-setup engine dataplane-setup
	$(BIN)/python -m pytest

# An OpenStack stack file proven on the data plane, as the data-plane tests prove theirs:
# deployed by the real engine, every flow probed and judged against the port document; the
# reachability matrix printed, and written as wire/<stack>.md and wire/<stack>.svg (as root).
# Without STACK=..., the bundled OpenStack stack (the default STACK is an AWS one).
WIRE_STACK = $(if $(filter command line environment,$(origin STACK)),$(STACK),stacks/Pulumi.openstack-staging.yaml)
wire: setup conformance-setup engine dataplane-setup
	$(BIN)/python -m harness.wire $(WIRE_STACK)

# Rule counts against the port document's minimum, render time at 1, 10 and 50 deployments, and the real engine on both clouds against a floor (~15 min).
bench: setup conformance-setup engine
	$(BIN)/python -m bench

# The locks in requirements/, compiled from pyproject.toml and requirements/*.in with the
# versions they hold where those still fit; `make upgrade` moves every one to the newest
# allowed, refreshes the TypeScript example's package-lock.json, says what moved (write it
# in CHANGELOG.md) and runs the tests.
LOCK := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make locks" $(UPGRADE)
locks: setup
	$(LOCK) requirements/bootstrap.in -o requirements/bootstrap.txt
	$(LOCK) pyproject.toml --extra dev requirements/bootstrap.in -c requirements/bootstrap.txt -o requirements/dev.txt
	$(LOCK) pyproject.toml --extra offline requirements/bootstrap.in -c requirements/dev.txt -o requirements/render.txt
	$(LOCK) pyproject.toml --extra live-aws requirements/bootstrap.in -c requirements/dev.txt -o requirements/live-aws.txt
	$(LOCK) requirements/openstack-services.in requirements/bootstrap.in -c requirements/bootstrap.txt -o requirements/openstack-services.txt

upgrade: setup
	mkdir -p .locks-before && cp requirements/*.txt examples/openstack-typescript/package-lock.json .locks-before/
	$(MAKE) locks UPGRADE=--upgrade
	cd examples/openstack-typescript && npm update --package-lock-only --no-audit --no-fund
	$(BIN)/python -m harness.locks changes .locks-before requirements examples/openstack-typescript/package-lock.json
	rm -rf .locks-before
	$(MAKE) test

clean:
	rm -rf $(VENV) .venv-neutron .engine .pytest_cache .mypy_cache .ruff_cache
