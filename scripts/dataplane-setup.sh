#!/usr/bin/env bash
# Install the Debian packages of the data-plane tests (harness/dataplane.py): Open vSwitch,
# OVN's central databases and northd, its chassis controller, MariaDB for Neutron, ethtool
# and iproute2. About 38 MB; nothing when they are all installed already. No service is
# started: the tests start every daemon themselves, in private directories, and stop it.
#
#   scripts/dataplane-setup.sh        # as root (make dataplane-setup; CI runs as root)
set -euo pipefail

PACKAGES=(openvswitch-switch ovn-central ovn-host mariadb-server mariadb-client ethtool iproute2)

missing=()
for package in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "${package}" 2>/dev/null || true)"
    [[ "${status}" == "install ok installed" ]] || missing+=("${package}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
    echo "the data-plane tests need ${missing[*]}: run \`sudo make dataplane-setup\`" >&2
    exit 1
fi
echo "== installing ${missing[*]} (the data-plane tests' Open vSwitch, OVN and MariaDB)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
