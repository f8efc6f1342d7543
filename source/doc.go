// SPDX-License-Identifier: GPL-2.0-only

// Package source finds, reads and parses the C files an analysis reads:
// the files and directories named, the quoted #includes each pulls in as
// context, and the headers a unity build's includer reads first. Only
// regular files are opened, within size bounds. ParseAll parses them in
// parallel with a pool of tree-sitter parsers and a cache of parsed
// context files; a file it cannot parse is an error of that file, never
// of the run.
package source
