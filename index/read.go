// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"lockbot/cparse"
	"lockbot/diff"
	"lockbot/source"
)

// readFunc reads one file of the tree; Index.read, so that a test can
// make a read fail.
type readFunc func(path string) ([]byte, error)

// readRegular reads a file of the tree: never a FIFO, a device or a link
// to one (git commits symlinks, so a tree may well hold zero.h ->
// /dev/zero), never more than cparse.MaxFileSize bytes.
func readRegular(path string) ([]byte, error) {
	return diff.ReadRegular(path, cparse.MaxFileSize)
}

// absent reports a file that is simply not there to read: a generated
// header, a directory, a name through a file.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR)
}

// loaded is what loadSources read for one file.
type loaded struct {
	srcs []source.Source
	// skipped are the files met that are not regular files (absolute).
	skipped []string
}

// loadSources reads the file at abs with its context, as
// source.LoadPaths does for one named file (the headers a unity build reads
// before it, then its quoted includes, depth levels), but reading every
// file through read: a header that is a FIFO or a device is skipped and
// noted, never opened. A file that is not there or too large is left out
// as LoadPaths leaves it; any other read error fails the file, which is
// then retried on the next run rather than recorded without that context.
func loadSources(abs string, depth int, unity *source.UnityBuilds, read readFunc) (loaded, error) {
	var l loaded
	data, err := read(abs)
	if err != nil {
		return l, err
	}
	l.srcs = []source.Source{{Path: abs, Src: data}}
	var ferr error
	readContext := func(p string) ([]byte, bool) {
		data, err := read(p)
		switch {
		case err == nil:
			return data, true
		case errors.Is(err, diff.ErrNotRegular):
			l.skipped = append(l.skipped, p)
		case absent(err), errors.Is(err, diff.ErrTooLarge):
		case ferr == nil:
			ferr = fmt.Errorf("reading %s, which it includes: %w", p, err)
		}
		return nil, false
	}
	if depth > 0 && strings.HasSuffix(abs, ".c") {
		seen := map[string]bool{abs: true}
		for _, h := range unity.Before(abs) {
			if seen[h] {
				continue
			}
			seen[h] = true
			if data, ok := readContext(h); ok {
				l.srcs = append(l.srcs, source.Source{Path: h, Src: data, Context: true})
			}
		}
	}
	l.srcs = source.AddIncludes(l.srcs, depth,
		func(from, name string) string { return filepath.Clean(filepath.Join(filepath.Dir(from), name)) },
		readContext)
	return l, ferr
}
