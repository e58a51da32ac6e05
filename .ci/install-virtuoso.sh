#!/usr/bin/env bash
# Install OpenLink Virtuoso (Debian/Ubuntu package) for the remote-store tests; idempotent.
#
# tests/sparql_servers.py starts its own server (virtuoso-t on a temp database, free ports on
# 127.0.0.1), so nothing is configured or started here. The package's Recommends (the Conductor
# web UI and a start page, about 1.8 MB of VAD packages) are not needed and are skipped.
#
# Measured on Debian bookworm (2 cores, fast mirror, empty apt cache): apt-get update 1.4 s,
# install 4.2 s (Virtuoso 7.2.5; with the Recommends 8.5 s, 6.7 MB download, 30 MB on disk).
# A fresh test server then answers after 2-6 s (depending on machine load).
#
# On hosts without a policy-rc.d that forbids it (e.g. GitHub's Ubuntu runners) the package also
# starts the system service on ports 1111 and 8890; the tests use other, free ports, so that
# does no harm beyond the memory it takes (stop it with `sudo service virtuoso-opensource-7 stop`).
set -euo pipefail

PACKAGE="${VIRTUOSO_PACKAGE:-virtuoso-opensource}"

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

if command -v virtuoso-t >/dev/null 2>&1; then
    echo "install-virtuoso: $(command -v virtuoso-t) already installed, nothing to do"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-virtuoso: apt-get not found; install Virtuoso 7 by hand (virtuoso-t on PATH)" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-virtuoso: not root and no sudo: cannot apt-get install $PACKAGE" >&2
        exit 1
    fi
fi

start=$(now)
"${SUDO[@]}" apt-get update -qq
echo "install-virtuoso: apt-get update took $(took "$start")"

start=$(now)
# DEBIAN_FRONTEND: the postinst asks for a dba password through debconf; the default is fine
# (our test databases are created fresh, with dba/dba).
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "$PACKAGE" >/dev/null
echo "install-virtuoso: apt-get install $PACKAGE took $(took "$start")"

if ! command -v virtuoso-t >/dev/null 2>&1; then
    echo "install-virtuoso: $PACKAGE installed but virtuoso-t is not on PATH" >&2
    exit 1
fi
echo "install-virtuoso: $(virtuoso-t -? 2>&1 | grep -m1 -i 'version' || echo 'virtuoso-t') at $(command -v virtuoso-t)"
