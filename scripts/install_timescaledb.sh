#!/usr/bin/env bash
# Installs the TimescaleDB extension (Apache-2 build) into the local PostgreSQL server on
# Debian/Ubuntu, from Debian trixie's source package. Idempotent: does nothing when the
# extension is already installed for this server.
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-pg_config}
SUITE=${TIMESCALEDB_SUITE:-trixie}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_apt=()
command -v "$PG_CONFIG" >/dev/null 2>&1 || need_apt+=(postgresql postgresql-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
SHAREDIR=$("$PG_CONFIG" --sharedir)

if ls "$SHAREDIR"/extension/timescaledb.control >/dev/null 2>&1 \
  && ls "$("$PG_CONFIG" --pkglibdir)"/timescaledb*.so >/dev/null 2>&1; then
  echo "timescaledb: already installed for PostgreSQL $PG_MAJOR"
  exit 0
fi

# Build dependencies (server headers for this PG major, cmake, a compiler).
pkgs=("postgresql-server-dev-$PG_MAJOR" cmake gcc make dpkg-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A private sources list so the machine's own apt configuration is not touched.
mkdir -p "$work/lists/partial"
echo "deb-src http://deb.debian.org/debian $SUITE main" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=/dev/null"
  -o "Dir::State::Lists=$work/lists")
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq "timescaledb/$SUITE")
dsc=$(ls "$work"/timescaledb_*.dsc | head -n 1)
(cd "$work" && dpkg-source -x "$dsc" src >/dev/null)

cd "$work/src"
cmake -S . -B build -DPG_CONFIG="$(command -v "$PG_CONFIG")" -DAPACHE_ONLY=ON \
  -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DSEND_TELEMETRY_DEFAULT=OFF \
  -DWARNINGS_AS_ERRORS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
make -C build -j"$(nproc)" >/dev/null
$SUDO make -C build install >/dev/null
echo "timescaledb: installed for PostgreSQL $PG_MAJOR"
