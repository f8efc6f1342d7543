#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The mailing-list responder's tests build a real public-inbox v2 archive
# (public-inbox-init -V2, public-inbox-mda) and check that a reply carries
# no trailer as b4 parses them: install Debian's public-inbox and b4 when
# they are missing. Safe to rerun.
set -euo pipefail

missing=()
command -v public-inbox-init >/dev/null || missing+=(public-inbox)
command -v b4 >/dev/null || missing+=(b4)
if ((${#missing[@]} == 0)); then
	echo "public-inbox and b4 are installed"
	exit 0
fi
if ! command -v apt-get >/dev/null; then
	echo "warning: no apt-get to install public-inbox and b4; their tests fail in CI" >&2
	exit 0
fi
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
# --no-install-recommends: the recommended packages are search and HTTP
# extras (Xapian, Plack, ...) the tests do not use.
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || {
	$sudo apt-get update -q >/dev/null &&
		$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
# command -v with several names succeeds when any is found: check each.
for tool in public-inbox-init public-inbox-mda b4; do
	command -v "$tool" || {
		echo "error: $tool is still missing after installing ${missing[*]}" >&2
		exit 1
	}
done
