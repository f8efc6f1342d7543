#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# fetch-kernel.sh VERSION [SUBDIR...]
#
# Ensures a Linux kernel tree for VERSION (6.1 or 6.12, as packaged by
# Debian in linux-source-VERSION) exists under
# ${LOCKBOT_CACHE:-$HOME/.cache/lockbot}/linux-VERSION and prints its path
# as the last line of stdout. With SUBDIRs only those (plus the Makefile,
# Kconfig and Kbuild of the top level and of each parent directory) are
# extracted, which saves most of the disk writes; without, the whole tree.
# Safe to rerun: each extracted subdir leaves a marker and is skipped next
# time. Progress goes to stderr.
set -euo pipefail

die() {
	echo "fetch-kernel: $*" >&2
	exit 1
}

[[ $# -ge 1 ]] || die "usage: fetch-kernel.sh VERSION [SUBDIR...]"
version=$1
shift
[[ $version =~ ^[0-9]+\.[0-9]+$ ]] || die "version must look like 6.1 or 6.12, not '$version'"
for tool in dpkg-deb tar xz flock; do
	command -v "$tool" >/dev/null || die "$tool is needed (Debian: apt-get install dpkg tar xz-utils util-linux)"
done

cache=${LOCKBOT_CACHE:-${HOME:?set HOME or LOCKBOT_CACHE}/.cache/lockbot}
tree=$cache/linux-$version
markers=$tree/.lockbot-extracted
pkg=linux-source-$version
top=$pkg # the directory at the top of Debian's source tarball
mkdir -p "$cache/debs" "$markers"

# Two runs at once (CI steps, parallel benchmarks) would extract over each
# other and could see a marker before its files are complete.
exec 9>"$cache/linux-$version.lock"
flock 9

# Normalise SUBDIRs and refuse ones that could escape the tree.
subdirs=()
for s in "$@"; do
	s=${s#./}
	while [[ $s == */ ]]; do s=${s%/}; done
	[[ -n $s && $s != /* && ! $s =~ (^|/)\.\.(/|$) ]] || die "bad subdir '$s': give a path inside the kernel tree, like drivers/md"
	subdirs+=("$s")
done

marker() { echo "$markers/${1//\//__}.done"; }

# done_already: the whole tree, the subdir, or a parent of it was extracted.
done_already() {
	local p=$1
	[[ -e $markers/ALL.done ]] && return 0
	while :; do
		[[ -e $(marker "$p") ]] && return 0
		[[ $p == */* ]] || return 1
		p=${p%/*}
	done
}

todo=()
if [[ ${#subdirs[@]} -eq 0 ]]; then
	[[ -e $markers/ALL.done ]] || todo=(ALL)
else
	for s in "${subdirs[@]}"; do
		done_already "$s" || todo+=("$s")
	done
fi
if [[ ${#todo[@]} -eq 0 ]]; then
	echo "$tree"
	exit 0
fi

# The newest .deb already downloaded, else download one. apt-get update
# only when the download fails: it is slow and usually not needed.
find_deb() {
	find "$cache/debs" -maxdepth 1 -name "${pkg}_*_all.deb" | sort -V | tail -n 1
}
deb=$(find_deb)
if [[ -z $deb ]]; then
	command -v apt-get >/dev/null || die "apt-get is needed to download $pkg"
	echo "fetch-kernel: downloading $pkg" >&2
	if ! (cd "$cache/debs" && apt-get download "$pkg" >&2); then
		echo "fetch-kernel: download failed; running apt-get update and retrying" >&2
		apt-get update >&2 || die "apt-get update failed (are you root?)"
		(cd "$cache/debs" && apt-get download "$pkg" >&2) ||
			die "could not download $pkg: is a suite that has it (bookworm-security, bookworm-backports) in the apt sources?"
	fi
	deb=$(find_deb)
	[[ -n $deb ]] || die "apt-get download left no ${pkg}_*_all.deb in $cache/debs"
fi

# source_tar streams the kernel tarball out of the .deb, decompressed; xz
# decompresses Debian's multi-block archive on every core.
source_tar() {
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xOf - "./usr/src/$pkg.tar.xz" |
		xz -dc -T0
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tree"
extract=(tar -xf - -C "$tree" --strip-components=1 --no-same-owner)

if [[ ${todo[0]} == ALL ]]; then
	echo "fetch-kernel: extracting all of $pkg into $tree" >&2
	source_tar | "${extract[@]}" || die "extracting $deb failed; if the .deb is damaged, delete it and rerun"
	touch "$markers/ALL.done"
	echo "$tree"
	exit 0
fi

# tar fails on a member name that is not in the archive, and parent
# directories may lack a Kconfig or a Makefile: list the archive once and
# ask only for names it has.
listing=$cache/$(basename "$deb" .deb).files
if [[ ! -s $listing ]]; then
	echo "fetch-kernel: listing $pkg" >&2
	source_tar | tar -tf - >"$tmp/files" || die "listing $deb failed; if the .deb is damaged, delete it and rerun"
	mv "$tmp/files" "$listing"
fi

: >"$tmp/members"
declare -A parents=()
for s in "${todo[@]}"; do
	if grep -qxF -e "$top/$s/" -e "$top/$s" "$listing"; then
		echo "$top/$s" >>"$tmp/members"
	else
		die "$s is not in $pkg ($(basename "$deb"))"
	fi
	p=$s
	parents[.]=1
	while [[ $p == */* ]]; do
		p=${p%/*}
		parents[$p]=1
	done
done
for p in "${!parents[@]}"; do
	for f in Makefile Kconfig Kbuild; do
		name=$top/$p/$f
		[[ $p == . ]] && name=$top/$f
		if grep -qxF "$name" "$listing"; then echo "$name" >>"$tmp/members"; fi
	done
done

echo "fetch-kernel: extracting ${todo[*]} of $pkg into $tree" >&2
source_tar | "${extract[@]}" -T "$tmp/members" || die "extracting ${todo[*]} from $deb failed; if the .deb is damaged, delete it and rerun"
for s in "${todo[@]}"; do
	touch "$(marker "$s")"
done
echo "$tree"
