// SPDX-License-Identifier: GPL-2.0-only

// Package diff reads patches and patch series (an mbox, `git format-patch`
// mails, a plain `git diff` or `diff -u` output, or a range of a git
// repository) and applies them, in memory, to copies of a base tree's files,
// so that a reviewer can analyse each file before and after each patch.
//
// Diff parsing and hunk application are github.com/bluekeyes/go-gitdiff's;
// mail decoding is the standard library's. What this package adds is what
// neither does: splitting an mbox, reading series numbering from subjects,
// checking that a series is complete, locating a hunk that moved (as
// `git apply` does), and mapping each line a hunk shows back to its line in
// the input, so a finding can be reported where the reviewer reads it.
//
// # Line numbers
//
// [Patch.PatchLine] gives, for a line a hunk shows on the new side, its
// 1-based line number in the input as given: in an mbox, counted from the
// start of the whole mbox (what an editor or checkpatch's "#N:" shows); in a
// file read by [ReadFiles], counted in that file. When a mail body (or the
// attachment holding the diff) is quoted-printable or base64, there is no
// line of the input that holds the diff line; the numbers then count the
// decoded text as if it replaced the encoded one in place, starting at the
// input line where the encoded body starts, and [Patch.Decoded] says so.
// Lines of a mail read with CRLF endings are counted as lines all the same.
package diff
