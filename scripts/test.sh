#!/usr/bin/env bash
# Runs the whole test suite. PostgreSQL tests need a server: SECRETS_TEST_POSTGRES, a Docker engine, or a local
# PostgreSQL installation the tests start a throwaway cluster from. On a fresh Debian/Ubuntu machine, as root,
# this script installs the distribution's PostgreSQL packages when none of the three is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${SECRETS_TEST_POSTGRES:-}" ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
   && ! { [[ -S /var/run/docker.sock ]] && docker info >/dev/null 2>&1; }; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test.sh: installing PostgreSQL from the distribution's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "test.sh: no PostgreSQL found; set SECRETS_TEST_POSTGRES or install postgresql" >&2
    exit 1
  fi
fi

# The CLI's end-to-end tests start the server executable that this same build produces.
export SECRETS_SERVER_DLL="${SECRETS_SERVER_DLL:-$PWD/src/Server/bin/Debug/net10.0/Secrets.Server.dll}"

exec dotnet test Secrets.sln "$@"
