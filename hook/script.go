// SPDX-License-Identifier: GPL-2.0-only

package hook

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// scriptTemplate is the sendemail-validate hook. It is POSIX sh because git
// runs hooks with whatever /bin/sh the system has (dash on Debian).
//
// git send-email runs the hook from the top of the work tree with GIT_DIR
// set, once per message, before it sends any; a non-zero exit aborts the
// whole send. Since git 2.42 it numbers the messages (COUNTER of TOTAL),
// which is what lets the hook check a patch with the ones before it
// applied: a lock taken in patch 1 and misused in patch 3 is only a bug in
// patch 3 when patch 1 is there.
var scriptTemplate = template.Must(template.New("sendemail-validate").
	Funcs(template.FuncMap{"sh": shellQuote}).
	Parse(`#!/bin/sh
# {{.Marker}}
#
# git send-email runs this hook on every message before sending any of them;
# a non-zero exit aborts the send. It runs "lockbot check" on each patch, with
# the patches before it in the series applied first (git >= 2.42 numbers the
# messages; older git gets each patch checked alone).
# "lockbot hook uninstall" removes it and restores the hook it replaced.
#
# Arguments: the message file and, from git 2.41 on, a file with the SMTP
# headers, which lockbot does not need.

lockbot={{sh .Lockbot}}
chained="$(dirname -- "$0")/{{.Chained}}"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "lockbot sendemail-validate: want 1 or 2 arguments, got $#" >&2
	exit 2
fi
file=$1

# The hook this one replaced runs first, with git's environment and
# arguments, as git would have run it.
if [ -x "$chained" ]; then
	"$chained" "$@" || {
		status=$?
		echo "lockbot sendemail-validate: $chained rejected $file (exit $status)" >&2
		exit "$status"
	}
fi

gitdir=$(git rev-parse --absolute-git-dir) || exit 2
# A bare repository has no work tree: lockbot check then reads the hunks
# alone (--no-tree).
top=$(git rev-parse --show-toplevel 2>/dev/null) || top=
# lockbot gets the tree by name; git's GIT_DIR would otherwise point git
# commands lockbot runs in a scratch directory at this repository.
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

counter=${GIT_SENDEMAIL_FILE_COUNTER-}
total=${GIT_SENDEMAIL_FILE_TOTAL-}
state=$gitdir/{{.StateDir}}

if [ -z "$counter" ]; then
	# Without numbering there is no telling which messages form a series.
	grep -q '^diff --git ' "$file" || exit 0 # a cover letter
	set -- "$file"
else
	# Message 1 starts a send: forget what an aborted send left behind.
	if [ "$counter" = 1 ]; then
		rm -rf "$state"
	fi
	if ! grep -q '^diff --git ' "$file"; then
		# A cover letter: nothing to check, and not part of the series.
		if [ "$counter" = "$total" ]; then
			rm -rf "$state"
		fi
		exit 0
	fi
	mkdir -p "$state" || exit 2
	n=1
	while [ -e "$state/$(printf %04d "$n").patch" ]; do
		n=$((n + 1))
	done
	cp "$file" "$state/$(printf %04d "$n").patch" || exit 2
	set --
	i=1
	while [ "$i" -le "$n" ]; do
		set -- "$@" "$state/$(printf %04d "$i").patch"
		i=$((i + 1))
	done
	set -- --only-patch "$n" "$@"
fi
if [ -n "$top" ]; then
	set -- --tree "$top" "$@"
else
	set -- --no-tree "$@"
fi

# git shows the hook's standard error; standard output may go nowhere.
"$lockbot" check "$@" >&2
status=$?
if [ -n "$counter" ] && [ "$counter" = "$total" ]; then
	rm -rf "$state"
fi
# Exit 1 is findings: they stop the send. Any other failure is lockbot's
# own (a patch it cannot apply or decode, a missing binary): a warning,
# unless the hook was installed with --strict or LOCKBOT_HOOK_STRICT is set.
strict={{if .Strict}}1{{else}}${LOCKBOT_HOOK_STRICT-}{{end}}
case $status in
0)
	;;
1)
	echo "lockbot sendemail-validate: lockbot check found lock bugs in $file; nothing was sent" >&2
	echo "(fix the patch, or skip all validation with git send-email --no-validate)" >&2
	;;
*)
	if [ -n "$strict" ]; then
		echo "lockbot sendemail-validate: lockbot check could not review $file (exit $status); nothing was sent" >&2
		echo "(strict mode: the hook was installed with --strict, or LOCKBOT_HOOK_STRICT is set)" >&2
	else
		echo "lockbot sendemail-validate: warning: lockbot check could not review $file (exit $status); it goes unreviewed" >&2
		echo "(lockbot hook install --strict makes this stop the send)" >&2
		status=0
	fi
	;;
esac
exit "$status"
`))

// Script returns the hook text that runs the lockbot binary at lockbot.
// A strict hook also stops the send when lockbot cannot review a patch.
func Script(lockbot string, strict bool) ([]byte, error) {
	if lockbot == "" {
		return nil, fmt.Errorf("no lockbot binary given")
	}
	if strings.ContainsAny(lockbot, "\x00\n") {
		// A newline would survive quoting but break the marker-line parsing
		// of anyone reading the hook; NUL cannot be in a path at all.
		return nil, fmt.Errorf("lockbot path %q has a newline or NUL", lockbot)
	}
	var b bytes.Buffer
	err := scriptTemplate.Execute(&b, struct {
		Marker, Lockbot, Chained, StateDir string
		Strict                             bool
	}{Marker, lockbot, Name + ChainedSuffix, StateDir, strict})
	if err != nil {
		return nil, fmt.Errorf("hook template: %w", err)
	}
	return b.Bytes(), nil
}

// shellQuote quotes s as one sh word: single quotes keep everything but a
// single quote literal, and those are closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
