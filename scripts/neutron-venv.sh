#!/usr/bin/env bash
# Create (idempotently) the isolated virtualenv that runs real OpenStack services for
# the tests: the Neutron API (conformance tests) and Keystone (the engine tests, where
# pulumi-openstack logs in through it).
#
#   scripts/neutron-venv.sh            # uses python3 from PATH
#   PYTHON=/usr/bin/python3.11 scripts/neutron-venv.sh
#
# The venv lives at <repo>/.venv-neutron and is kept separate from the
# project venv: Neutron pins a large, old-fashioned dependency tree
# (oslo.*, SQLAlchemy, eventlet, ...) that must not leak into the project.
set -euo pipefail

NEUTRON_VERSION="29.0.0"
KEYSTONE_VERSION="30.0.0"  # the same OpenStack release as Neutron 29
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REPO_ROOT}/.venv-neutron"
PYTHON="${PYTHON:-python3}"

installed_version() {
    "${VENV}/bin/python" - <<'PY' 2>/dev/null || true
import importlib.util
from importlib.metadata import version
try:
    # neutron.wsgi.api parses config at import time, so only locate it.
    if importlib.util.find_spec("neutron.wsgi.api") and importlib.util.find_spec("keystone.server.wsgi"):
        print(version("neutron"), version("keystone"))
except Exception:
    pass
PY
}

if [[ -x "${VENV}/bin/python" ]] && [[ "$(installed_version)" == "${NEUTRON_VERSION} ${KEYSTONE_VERSION}" ]]; then
    echo "neutron ${NEUTRON_VERSION} and keystone ${KEYSTONE_VERSION} already installed in ${VENV}"
    exit 0
fi

echo "creating ${VENV} with $(command -v "${PYTHON}") ($("${PYTHON}" --version 2>&1))"
"${PYTHON}" -m venv "${VENV}"
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check \
    "neutron==${NEUTRON_VERSION}" "keystone==${KEYSTONE_VERSION}"

version="$(installed_version)"
if [[ "${version}" != "${NEUTRON_VERSION} ${KEYSTONE_VERSION}" ]]; then
    echo "error: neutron ${NEUTRON_VERSION} and keystone ${KEYSTONE_VERSION} did not install correctly into ${VENV}" >&2
    exit 1
fi
echo "neutron and keystone ${version} installed in ${VENV}"
