#!/usr/bin/env bash
# Provide the real Pulumi engine in .engine/bin: the `pulumi` CLI, the Python language host
# `pulumi-language-python` (with its `pulumi-language-python-exec` shim) and the provider
# `pulumi-resource-openstack`.
#
#   scripts/engine.sh                 # find or build what is missing or out of date
#   ENGINE_BUILD=1 scripts/engine.sh  # build all three even where a pulumi CLI is installed
#
# Where a `pulumi` CLI is installed it is used with its own language host, and the provider
# plugin is installed the usual way (`pulumi plugin install`). Elsewhere all three are built
# from Go modules (Go 1.25+ and the Go module proxy) in the wrapper modules under engine/,
# whose go.mod and go.sum pin every version. A binary is rebuilt only when its wrapper
# changed, so a second run takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${ROOT}/.engine/bin"
CLI_VERSION="v3.274.1"        # engine/pulumi/go.mod
HOST_VERSION="v3.79.0"        # engine/python/go.mod: the last sdk/v3 that carries the host
OPENSTACK_VERSION="5.4.1"     # the pulumi-openstack release engine/openstack is made of
mkdir -p "${BIN}"

step() {  # step NAME COMMAND...: run, and say how long it took
    local name=$1 started=$SECONDS
    shift
    echo "== engine: ${name}"
    "$@"
    echo "   done in $((SECONDS - started)) s"
}

if [[ -z "${ENGINE_BUILD:-}" ]] && installed=$(command -v pulumi) && [[ "${installed}" != "${BIN}/pulumi" ]]; then
    step "using the installed CLI ${installed} ($(pulumi version))" \
        ln -sf "${installed}" "${BIN}/pulumi"
    for host in pulumi-language-python pulumi-language-python-exec; do
        [[ -e "$(dirname "${installed}")/${host}" ]] && ln -sf "$(dirname "${installed}")/${host}" "${BIN}/${host}"
    done
    step "pulumi plugin install resource openstack v${OPENSTACK_VERSION}" \
        pulumi plugin install resource openstack "v${OPENSTACK_VERSION}"
    exit 0
fi

command -v go >/dev/null || {
    echo "error: no pulumi CLI is installed and Go is missing: install one of them (Go 1.25+)" >&2
    exit 1
}

# go_build OUTPUT WRAPPER_DIR ARGS...: build when the output is older than its wrapper module.
go_build() {
    local out=$1 dir=$2
    shift 2
    if [[ -x "${BIN}/${out}" && ! "${ROOT}/${dir}" -nt "${BIN}/${out}" ]] \
        && [[ -z "$(find "${ROOT}/${dir}" -newer "${BIN}/${out}" -type f)" ]]; then
        echo "== engine: ${out} is up to date"
        return
    fi
    step "go build ${out} (${dir}; from cold about 3-8 minutes on 2 cores)" \
        env -C "${ROOT}/${dir}" CGO_ENABLED=0 go build -trimpath -o "${BIN}/${out}" "$@"
}

stamp="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
go_build pulumi engine/pulumi -tags osusergo,grpcnotrace \
    -ldflags "-X ${stamp}=${CLI_VERSION}" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go_build pulumi-language-python engine/python \
    -ldflags "-X ${stamp}=${HOST_VERSION}" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
go_build pulumi-resource-openstack engine/openstack -ldflags "-X main.version=${OPENSTACK_VERSION}" .

# The host runs Python programs through this shim, which ships in the sdk/v3 module.
sdk_dir=$(env -C "${ROOT}/engine/pulumi" go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 755 "${sdk_dir}/python/cmd/pulumi-language-python-exec" "${BIN}/pulumi-language-python-exec"

echo "== engine: ready in ${BIN}: $("${BIN}/pulumi" version), pulumi-language-python ${HOST_VERSION}, pulumi-resource-openstack ${OPENSTACK_VERSION}"
