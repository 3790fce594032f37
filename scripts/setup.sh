#!/usr/bin/env bash
# Installs everything garagenet needs on a Debian 12 machine (as root), builds
# it, then runs one job:
#   scripts/setup.sh demo   the demo mesh, with the looking glass on http://localhost:8080
#   scripts/setup.sh test   the whole test suite (unit, integration, system)
#   scripts/setup.sh        install and build only
# Safe to run again: it installs only what is missing.
set -euo pipefail

job=${1:-}
case "$job" in demo|test|"") ;; *) echo "setup.sh: unknown job '$job' (use demo, test or nothing)" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages and creates network namespaces)" >&2
  exit 1
fi

debian_packages=(
  ca-certificates git build-essential python3   # native addon build (node-gyp)
  etcd-server etcd-client openssl               # the registry's store; its TLS certificate
  wireguard-tools wireguard-go                  # tunnels (userspace WireGuard where the kernel has none)
  iproute2 nftables iputils-ping                # namespaces, policy routing, plane isolation
  procps conntrack                              # sysctl inside namespaces; NAT state in the topology test
  bird2 gobgpd                                  # real BGP peers for interop tests and benchmarks
  iperf3 wrk time                               # throughput and load figures (time: ip -batch CPU and memory in bench/fib)
  chromium                                      # the looking-glass browser test
  systemd                                       # systemd-analyze verify: the unit of `garagenet join --service`
)
node_major() { command -v node >/dev/null && node -p 'process.versions.node.split(".")[0]' || echo 0; }
# Debian 12 ships Node.js 18; garagenet needs 20 or newer, which the npm registry
# carries as the `node` package (a prebuilt binary inside a registry package).
[ "$(node_major)" -ge 20 ] || debian_packages+=(nodejs npm)
missing=()
for p in "${debian_packages[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

if [ "$(node_major)" -lt 20 ]; then
  echo "==> installing Node.js 20 from the npm registry"
  npm install -g --no-audit --no-fund node@20
  hash -r
fi

echo "==> installing npm packages"
# `npm install` honours package-lock.json; `npm ci` would refuse a lock that lacks
# other platforms' optional packages (rollup), which npm here does not record.
npm install --no-audit --no-fund
echo "==> building"
npm run build

case "$job" in
  demo)
    exec node bin/garagenet.js demo
    ;;
  test)
    mkdir -p test-output
    status=0
    echo "==> type-checking tests"
    npm run typecheck || status=1
    for project in unit integration system; do
      echo "==> tests: $project"
      npx vitest run --project "$project" --passWithNoTests \
        --reporter=default --reporter=json --outputFile.json="test-output/$project.json" || status=1
    done
    node scripts/test-summary.js test-output/unit.json test-output/integration.json test-output/system.json
    exit $status
    ;;
esac
