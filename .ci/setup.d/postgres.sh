#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The App's store tests (forge/store, forge) start a PostgreSQL server of
# their own (initdb in a temporary directory, run as nobody when root):
# they need Debian's server binaries, /usr/lib/postgresql/N/bin.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
	echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
	exit 0
fi
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo -n"
# The package's own cluster is not used; keep it from being created.
export DEBIAN_FRONTEND=noninteractive
$sudo mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/lockbot.conf >/dev/null
$sudo apt-get install -y -q --no-install-recommends postgresql >/dev/null || {
	$sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends postgresql >/dev/null
}
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || {
	echo "postgresql installed, but no /usr/lib/postgresql/*/bin/initdb" >&2
	exit 1
}
echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
