#!/usr/bin/env bash
# Create the isolated virtualenv that runs real OpenStack services for the tests: the
# Neutron API (conformance tests, the data plane) and Keystone (the engine tests, where
# pulumi-openstack logs in through it), from requirements/openstack-services.txt: exact
# versions, hashes checked, the one source distribution (ovs) built with the lock's own
# setuptools.
#
#   scripts/neutron-venv.sh            # uses python3 from PATH
#   PYTHON=/usr/bin/python3.11 scripts/neutron-venv.sh
#
# The venv lives at <repo>/.venv-neutron and is kept separate from the project venv:
# Neutron pins a large, old-fashioned dependency tree (oslo.*, SQLAlchemy, eventlet, ...)
# that must not leak into the project. Running it again syncs the venv to the lock.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REPO_ROOT}/.venv-neutron"
LOCKS="${REPO_ROOT}/requirements"
PYTHON="${PYTHON:-python3}"

if [[ ! -x "${VENV}/bin/python" ]]; then
    echo "creating ${VENV} with $(command -v "${PYTHON}") ($("${PYTHON}" --version 2>&1))"
    "${PYTHON}" -m venv "${VENV}"
fi
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    --no-deps -r "${LOCKS}/bootstrap.txt"
"${VENV}/bin/uv" pip sync --quiet --require-hashes --no-build-isolation \
    --python "${VENV}/bin/python" "${LOCKS}/openstack-services.txt"
"${VENV}/bin/python" - <<'PY'
from importlib.metadata import version
print("neutron", version("neutron"), "and keystone", version("keystone"), "installed in .venv-neutron")
PY
