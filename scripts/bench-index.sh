#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench-index.sh [VERSION]
#
# The whole-tree benchmark of issue 4: indexes a Linux tree (Debian's
# linux-source-VERSION, default 6.12, fetched by fetch-kernel.sh) with
# `lockbot index` and prints its wall time, CPU time (user+sys), peak
# memory, files per second and the index's size; then the time of
# tree-sitter's parse alone of the same files on the same workers
# (`lockbot index --parse-only`) and the ratio of the two; then, for
# comparison, Coccinelle's scripts/coccinelle/locks/call_kern.cocci over
# the same tree (Debian's coccinelle, installed when missing and we may).
# Targets of the issue: index <= 120 s, <= 1.5x the parse, peak < 2 GiB.
#
# Environment:
#   COCCI=0          skip Coccinelle
#   COCCI_TIMEOUT=N  stop Coccinelle after N seconds and report what it
#                    found by then (default: no limit)
#   COCCI_OUT=FILE   keep Coccinelle's reports in FILE
#   SUBDIR=DIR       a quick run on one directory (drivers/md): the index
#                    and the parse take --tree TREE/DIR (so include/'s
#                    headers are not in it), Coccinelle --dir TREE/DIR
#
# The cached tree is only read: the index goes to a scratch directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=${1:-6.12}
subdir=${SUBDIR:-}
cocci=${COCCI:-1}
cocci_timeout=${COCCI_TIMEOUT:-0}
cocci_rel=scripts/coccinelle/locks/call_kern.cocci

die() {
	echo "bench-index: $*" >&2
	exit 1
}
[[ $cocci_timeout =~ ^[0-9]+$ ]] || die "COCCI_TIMEOUT must be a number of seconds, not '$cocci_timeout'"
subdir=${subdir#./}
while [[ $subdir == */ ]]; do subdir=${subdir%/}; done
[[ $subdir != /* && ! $subdir =~ (^|/)\.\.(/|$) ]] || die "SUBDIR must be a path inside the tree, like drivers/md"

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo -n"
# apt_install PKG: install a Debian package when we may, as .ci/run does.
apt_install() {
	command -v apt-get >/dev/null || return 1
	$sudo apt-get install -y -q "$1" >/dev/null 2>&1 || {
		$sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "$1" >/dev/null 2>&1
	}
}

if [[ ! -x /usr/bin/time ]]; then
	echo "bench-index: installing Debian's time" >&2
	apt_install time || die "/usr/bin/time is needed (Debian: apt-get install time)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/lockbot
echo "bench-index: building lockbot" >&2
(cd "$root" && go build -o "$bin" ./cmd/lockbot)

if [[ -n $subdir ]]; then
	tree=$("$root/scripts/fetch-kernel.sh" "$version" "$subdir" "$(dirname "$cocci_rel")" | tail -n 1)
	target=$tree/$subdir
else
	tree=$("$root/scripts/fetch-kernel.sh" "$version" | tail -n 1)
	target=$tree
fi
[[ -d $target ]] || die "$target is not a directory"

# tv FILE FIELD: a figure of /usr/bin/time -v's report in FILE. The wall
# time ("h:mm:ss" or "m:ss") comes out in seconds, the RSS in KiB.
tv() {
	awk -v key="$2" '
		index($0, key) {
			v = $NF
			if (key ~ /^Elapsed/) {
				n = split(v, a, ":")
				s = 0
				for (i = 1; i <= n; i++) s = s * 60 + a[i]
				v = s
			}
			print v
			exit
		}' "$1"
}
wall() { tv "$1" "Elapsed (wall clock) time"; }
cpu() { awk -v u="$(tv "$1" "User time (seconds)")" -v s="$(tv "$1" "System time (seconds)")" 'BEGIN { printf "%.2f", u + s }'; }
peak_mib() { awk -v k="$(tv "$1" "Maximum resident set size (kbytes)")" 'BEGIN { printf "%.0f", k / 1024 }'; }

cores=$(nproc)
summary=()
say() {
	summary+=("$*")
}

# The index. Its progress goes to stderr; the "N files" line to stdout.
echo "bench-index: lockbot index --tree $target (a few minutes on the whole tree)" >&2
/usr/bin/time -v -o "$tmp/index.time" "$bin" index --tree "$target" --out "$tmp/index.db" >"$tmp/index.out" ||
	die "lockbot index failed: $(cat "$tmp/index.out" "$tmp/index.time")"
# "PATH: 34241 files (34241 analysed, ...), N functions recorded, 4m46.72s"
files=$(sed -n 's/.*: \([0-9][0-9]*\) files (.*/\1/p' "$tmp/index.out")
funcs=$(sed -n 's/.*, \([0-9][0-9]*\) functions recorded.*/\1/p' "$tmp/index.out")
[[ -n $files ]] || die "cannot read the file count of: $(cat "$tmp/index.out")"
iwall=$(wall "$tmp/index.time")
icpu=$(cpu "$tmp/index.time")
ipeak=$(peak_mib "$tmp/index.time")
isize=$(awk -v b="$(stat -c %s "$tmp/index.db")" 'BEGIN { printf "%.1f", b / 1048576 }')
rm -f "$tmp/index.db"

# The parse alone, same walk and workers.
echo "bench-index: lockbot index --parse-only --tree $target" >&2
/usr/bin/time -v -o "$tmp/parse.time" "$bin" index --parse-only --tree "$target" >"$tmp/parse.out" ||
	die "lockbot index --parse-only failed: $(cat "$tmp/parse.out" "$tmp/parse.time")"
# "files N bytes N parse Xs (tree-sitter Ys, read Zs, summed over W workers; ...)"
read -r _ pfiles _ pbytes _ _ <"$tmp/parse.out"
pwall=$(wall "$tmp/parse.time")
pcpu=$(cpu "$tmp/parse.time")
ppeak=$(peak_mib "$tmp/parse.time")

say "linux $version ($target), $cores cores"
say "$(awk -v f="$files" -v fn="$funcs" -v w="$iwall" -v c="$icpu" -v m="$ipeak" -v s="$isize" 'BEGIN {
	printf "lockbot index:  %d files, %d functions; wall %.2f s, cpu %.2f s (user+sys), peak RSS %d MiB, %.1f files/s, index %.1f MiB", f, fn, w, c, m, f / w, s
}')"
say "$(awk -v f="$pfiles" -v b="$pbytes" -v w="$pwall" -v c="$pcpu" -v m="$ppeak" 'BEGIN {
	printf "parse only:     %d files, %.1f MiB; wall %.2f s, cpu %.2f s (user+sys), peak RSS %d MiB, %.1f files/s", f, b / 1048576, w, c, m, f / w
}')"
say "                $(sed -n 1p "$tmp/parse.out")"
[[ $pfiles == "$files" ]] || say "WARNING: the parse read $pfiles files, the index $files"
say "$(awk -v i="$iwall" -v p="$pwall" -v m="$ipeak" 'BEGIN {
	ok = "met"; no = "MISSED"
	printf "index/parse:    %.2fx wall (target <= 1.5x: %s); index wall <= 120 s: %s; peak < 2048 MiB: %s",
		i / p, (i / p <= 1.5 ? ok : no), (i <= 120 ? ok : no), (m < 2048 ? ok : no)
}')"

# Coccinelle.
cocci_part() {
	if ! command -v spatch >/dev/null; then
		echo "bench-index: installing Debian's coccinelle" >&2
		if ! apt_install coccinelle || ! command -v spatch >/dev/null; then
			say "coccinelle:     not installed and could not be installed (apt-get install coccinelle); skipped"
			return
		fi
	fi
	local sp=$tree/$cocci_rel
	[[ -f $sp ]] || {
		say "coccinelle:     $sp is missing; skipped"
		return
	}
	# As `make coccicheck MODE=report` runs a script over the tree:
	# -D report --very-quiet --no-show-diff, the script's own "Options:"
	# line (--no-includes --include-headers: no header is read for the
	# files, and headers are processed as files of their own), --dir,
	# and --jobs N --chunksize 1. coccicheck's -I flags (its LINUXINCLUDE)
	# are left out: they only come from a kernel build, and with
	# --no-includes nothing is included. --timeout 200 is from the tree's
	# .cocciconfig, which spatch reads from the current directory (make
	# runs coccicheck at the tree's top); its other option, --use-gitgrep,
	# is left out: a tarball tree is no git repository (spatch then finds
	# the files itself, as it does without the option). Jobs: all cores,
	# as lockbot uses (coccicheck halves them only with hyperthreading and
	# more than 4).
	local opts
	read -r -a opts <<<"$(sed -n 's|^// *Options: *||p' "$sp" | sed -n 1p)"
	local cmd=(spatch -D report --very-quiet --no-show-diff --cocci-file "$sp" "${opts[@]}"
		--timeout 200 --dir "$target" --jobs "$cores" --chunksize 1)
	if [[ $cocci_timeout -gt 0 ]]; then
		cmd=(timeout "$cocci_timeout" "${cmd[@]}")
	fi
	echo "bench-index: ${cmd[*]}" >&2
	local rc=0
	# Run from the scratch directory: spatch reads .cocciconfig from the
	# current directory, and the caller's must not count.
	(cd "$tmp" && /usr/bin/time -v -o "$tmp/cocci.time" "${cmd[@]}" >"$tmp/cocci.out" 2>"$tmp/cocci.err") || rc=$?
	local reports
	reports=$(grep -c 'ERROR: function' "$tmp/cocci.out" || true)
	local note=""
	if [[ $cocci_timeout -gt 0 && $rc -eq 124 ]]; then
		note=" -- PARTIAL: stopped after $cocci_timeout s"
	elif [[ $rc -ne 0 ]]; then
		note=" -- spatch exited $rc: $(sed -n 1p "$tmp/cocci.err")"
	fi
	say "$(awk -v v="$(spatch --version 2>&1 | sed -n 's/^spatch version \([^ ]*\).*/\1/p')" -v r="$reports" \
		-v w="$(wall "$tmp/cocci.time")" -v c="$(cpu "$tmp/cocci.time")" -v m="$(peak_mib "$tmp/cocci.time")" -v j="$cores" 'BEGIN {
		printf "coccinelle %s: %s, --jobs %d: wall %.2f s, cpu %.2f s (user+sys), peak RSS %d MiB (largest process), %d reports", v, "call_kern.cocci", j, w, c, m, r
	}')$note"
	[[ -z ${COCCI_OUT:-} ]] || cp "$tmp/cocci.out" "$COCCI_OUT"
}
if [[ $cocci != 0 ]]; then
	cocci_part
else
	say "coccinelle:     skipped (COCCI=0)"
fi

echo
printf '%s\n' "${summary[@]}"
