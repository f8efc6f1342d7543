package index

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"lockbot/cparse"
	"lockbot/source"
)

// errNotRegular is a FIFO, a device, a socket, or a symlink to one: the
// index never opens those for reading, since a FIFO without a writer
// blocks for good and /dev/zero never ends (git commits symlinks, so a
// tree may well hold zero.h -> /dev/zero).
var errNotRegular = errors.New("not a regular file")

// errTooLarge is a file over cparse.MaxFileSize, which the parser refuses
// anyway.
var errTooLarge = errors.New("over the size limit")

// readFunc reads one file of the tree; Index.read, so that a test can
// make a read fail.
type readFunc func(path string) ([]byte, error)

// readRegular reads a regular file of at most cparse.MaxFileSize bytes.
// The type is checked before opening (opening some devices does
// something) and again on the open file, which may have been replaced
// since; the open does not block on a FIFO, and the read is bounded
// whatever the file turns out to be.
func readRegular(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		// Not a file at all: "#include "foo"" naming a directory.
		return nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, errNotRegular, info.Mode().Type())
	}
	if info.Size() > cparse.MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", path, info.Size(), errTooLarge, cparse.MaxFileSize)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err = f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, errNotRegular, info.Mode().Type())
	}
	var buf bytes.Buffer
	// Room for the whole file and the read that sees its end, as
	// os.ReadFile allows.
	buf.Grow(int(min(info.Size(), cparse.MaxFileSize)) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, cparse.MaxFileSize+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if buf.Len() > cparse.MaxFileSize {
		return nil, fmt.Errorf("%s: %w of %d bytes", path, errTooLarge, cparse.MaxFileSize)
	}
	return buf.Bytes(), nil
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
		case errors.Is(err, errNotRegular):
			l.skipped = append(l.skipped, p)
		case absent(err), errors.Is(err, errTooLarge):
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
