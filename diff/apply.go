// SPDX-License-Identifier: GPL-2.0-only

package diff

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

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Tree reads the files of a base tree. path is slash-separated and relative
// to the tree's root. A file that does not exist is an error satisfying
// errors.Is(err, fs.ErrNotExist).
type Tree interface {
	ReadFile(path string) ([]byte, error)
}

// DirTree is a Tree of the files under a directory, such as a git checkout's
// working tree. It is only ever read. Paths that leave the directory, by
// "..", an absolute path or a symbolic link, are refused.
type DirTree string

// maxTreeFile bounds the size of one base file; the largest C file of the
// kernel is a few MiB.
const maxTreeFile = 256 << 20

// ReadFile reads the file at path under the directory.
func (d DirTree) ReadFile(path string) ([]byte, error) {
	if !fs.ValidPath(path) || path == "." {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrInvalid}
	}
	// os.Root refuses to leave the directory, symbolic links included.
	root, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := OpenRegular(root, filepath.FromSlash(path))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTreeFile+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if len(data) > maxTreeFile {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", maxTreeFile)}
	}
	return data, nil
}

// DirLister is a Tree that can list a directory: the names of the regular
// files directly in it, sorted. A review without an index looks there for
// the callers of a function a patch changes.
type DirLister interface {
	ListDir(dir string) ([]string, error)
}

// maxListed bounds a directory listing; the largest kernel directories
// hold a few hundred files.
const maxListed = 4096

// ListDir lists the regular files directly under dir.
func (d DirTree) ListDir(dir string) ([]string, error) {
	if !fs.ValidPath(dir) {
		return nil, &fs.PathError{Op: "list", Path: dir, Err: fs.ErrInvalid}
	}
	root, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	ents, err := fs.ReadDir(root.FS(), dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && len(out) < maxListed {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// ErrNotRegular is a path that names something other than a regular
// file: a FIFO, a device, a directory, or a link to one.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens a regular file for reading under root, refusing
// anything else before it is opened: opening a FIFO blocks until a writer
// comes, and a device (a link to /dev/zero) reads forever. The open does
// not block either way (O_NONBLOCK), and the type is checked again on
// what was opened, in case the path changed in between.
func OpenRegular(root *os.Root, name string) (*os.File, error) {
	st, err := root.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotRegular, st.Mode().Type())}
	}
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
		}
		return nil, err
	}
	return f, nil
}

// ErrTooLarge is a file over the size a reader allows.
var ErrTooLarge = errors.New("too large")

// ReadRegular reads the regular file at path (a link is followed), of at
// most limit bytes. Anything else is refused before it is opened
// (ErrNotRegular; a directory is a *fs.PathError of EISDIR), and so is a
// larger file (ErrTooLarge): a FIFO would block the run and a link to a
// device would fill memory. The type is checked again on the open file,
// which may have been replaced since; the open does not block on a FIFO,
// and the read is bounded whatever the file turns out to be.
func ReadRegular(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		// Not a file at all: an #include naming a directory.
		return nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, info.Mode().Type())
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes: %w: over the %d-byte limit", path, info.Size(), ErrTooLarge, limit)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, info.Mode().Type())
	}
	var buf bytes.Buffer
	// Room for the whole file and the read that sees its end, as
	// os.ReadFile allows.
	buf.Grow(int(min(info.Size(), limit)) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("%s: %w: over the %d-byte limit", path, ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// Snapshot is the files one patch touches, before and after it.
type Snapshot struct {
	Patch *Patch
	// Before maps each path the patch touches to its content before the
	// patch (after the patches before it); a path it creates is absent.
	Before map[string][]byte
	// After maps each path the patch touches to its content after the
	// patch; a path it deletes or renames away is absent.
	After map[string][]byte
	// Skipped lists the binary files and symbolic links the patch
	// changes. Their content is not applied and they are in neither
	// Before nor After; a later patch changing one as text fails to apply.
	Skipped []string
	// Offsets lists the hunks that applied at another line than the one
	// they state, as `git apply` allows.
	Offsets []Offset

	placed map[string][]placedHunk
}

// Offset is a hunk applied Lines lines away from where it says (negative:
// earlier in the file).
type Offset struct {
	File  string
	Hunk  int // 1-based, in the file's hunks
	Lines int
}

// placedHunk is where a hunk's new-side lines are in After.
type placedHunk struct {
	after  int // first line in After
	newPos int // first line in the patch's numbering
	n      int
}

// NewLine turns a line number of After[path] into the new-side number the
// patch shows it at, for Patch.PatchLine and Patch.Added. They differ when a
// hunk applied at an offset. ok is false when no hunk shows the line.
func (s *Snapshot) NewLine(path string, line int) (newLine int, ok bool) {
	for _, h := range s.placed[path] {
		if line >= h.after && line < h.after+h.n {
			return h.newPos + line - h.after, true
		}
	}
	return 0, false
}

// ApplyError is a patch that does not apply to the tree.
type ApplyError struct {
	Index, Total int    // the patch's numbering; 0, 0 when unnumbered
	Subject      string // the patch's subject
	File         string
	Hunk         int    // 1-based hunk of the file; 0 when the whole file is at fault
	Header       string // the hunk's header, "@@ -120,7 +121,9 @@"
	Err          error  // why
}

func (e *ApplyError) Error() string {
	var b strings.Builder
	b.WriteString("patch")
	if e.Total > 0 {
		fmt.Fprintf(&b, " %d/%d", e.Index, e.Total)
	}
	if e.Subject != "" {
		fmt.Fprintf(&b, " (%q)", e.Subject)
	}
	fmt.Fprintf(&b, ": %s: ", e.File)
	if e.Hunk > 0 {
		fmt.Fprintf(&b, "hunk #%d at %s does not apply: ", e.Hunk, e.Header)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ApplyError) Unwrap() error { return e.Err }

// ApplySeries applies the patches of s in order to the files of t, in
// memory: each patch sees what the patches before it did. It returns one
// Snapshot per patch. When a patch does not apply, it returns the snapshots
// of the patches before it and an *ApplyError.
//
// Like `git apply`, a hunk's context must match exactly, but a hunk whose
// context is not at the line it states is applied where the context is,
// searching outward from there (the nearest match wins), and later hunks of
// the file are expected as far off. Snapshot.Offsets reports such hunks.
// Unlike `git apply`, a hunk without leading or trailing context is not
// required to be at the start or end of the file.
func ApplySeries(t Tree, s *Series) ([]*Snapshot, error) {
	if t == nil || s == nil {
		return nil, errors.New("diff: ApplySeries needs a tree and a series")
	}
	st := &applyState{tree: t, files: make(map[string]*fileState)}
	snaps := make([]*Snapshot, 0, len(s.Patches))
	for _, p := range s.Patches {
		snap, err := st.apply(p)
		if err != nil {
			return snaps, err
		}
		snaps = append(snaps, snap)
	}
	return snaps, nil
}

type applyState struct {
	tree  Tree
	files map[string]*fileState
}

// fileState is a file as the patches so far left it.
type fileState struct {
	data   []byte
	exists bool
	// binaryBy is the patch whose binary diff changed the file, which makes
	// its content unknown.
	binaryBy *Patch
}

func (st *applyState) get(path string) (*fileState, error) {
	if f := st.files[path]; f != nil {
		return f, nil
	}
	data, err := st.tree.ReadFile(path)
	f := &fileState{data: data, exists: err == nil}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	st.files[path] = f
	return f, nil
}

func (st *applyState) apply(p *Patch) (*Snapshot, error) {
	snap := &Snapshot{
		Patch:  p,
		Before: make(map[string][]byte),
		After:  make(map[string][]byte),
		placed: make(map[string][]placedHunk),
	}
	var touched []string
	seen := make(map[string]bool)
	touch := func(path string, f *fileState) {
		if seen[path] {
			return
		}
		seen[path] = true
		touched = append(touched, path)
		if f.exists && f.binaryBy == nil {
			snap.Before[path] = f.data
		}
	}
	fail := func(file string, hunk int, header string, err error) error {
		return &ApplyError{Index: p.Index, Total: p.Total, Subject: p.Subject, File: file, Hunk: hunk, Header: header, Err: err}
	}

	for _, f := range p.Files {
		name := fileName(f)
		var src, dst *fileState
		var err error
		if !f.IsNew {
			if src, err = st.get(f.OldName); err != nil {
				return nil, fail(f.OldName, 0, "", err)
			}
			if !src.exists {
				return nil, fail(f.OldName, 0, "", errors.New("no such file in the tree (after the patches before this one)"))
			}
		}
		if !f.IsDelete && (f.IsNew || f.NewName != f.OldName) {
			if dst, err = st.get(f.NewName); err != nil {
				return nil, fail(f.NewName, 0, "", err)
			}
			if dst.exists {
				how := "creates it"
				switch {
				case f.IsRename:
					how = "renames " + f.OldName + " to it"
				case f.IsCopy:
					how = "copies " + f.OldName + " to it"
				}
				return nil, fail(f.NewName, 0, "", fmt.Errorf("already exists in the tree, but the patch %s", how))
			}
		}

		if notText(f) {
			snap.Skipped = append(snap.Skipped, name)
			if src != nil && (f.IsDelete || f.IsRename) {
				st.files[f.OldName] = &fileState{}
			}
			if !f.IsDelete {
				st.files[f.NewName] = &fileState{exists: true, binaryBy: p}
			}
			continue
		}
		if src != nil && src.binaryBy != nil {
			return nil, fail(f.OldName, 0, "", fmt.Errorf("content unknown: %s changed it with a binary diff", patchName(src.binaryBy)))
		}

		var old []byte
		if src != nil {
			touch(f.OldName, src)
			old = src.data
		}
		if dst != nil {
			touch(f.NewName, dst)
		}
		out, placed, offsets, herr := applyText(old, f.TextFragments)
		if herr != nil {
			frag := f.TextFragments[herr.hunk]
			return nil, fail(name, herr.hunk+1, hunkHeader(frag), herr.err)
		}
		if f.IsDelete {
			if len(out) > 0 {
				return nil, fail(name, 0, "", errors.New("the patch deletes the file but does not remove all of its content"))
			}
			st.files[f.OldName] = &fileState{}
			continue
		}
		if out == nil {
			out = []byte{} // present, even if empty
		}
		st.files[f.NewName] = &fileState{data: out, exists: true}
		if f.IsRename && f.OldName != f.NewName {
			st.files[f.OldName] = &fileState{}
		}
		snap.placed[f.NewName] = append(snap.placed[f.NewName], placed...)
		for _, o := range offsets {
			o.File = f.NewName
			snap.Offsets = append(snap.Offsets, o)
		}
	}
	for _, path := range touched {
		if f := st.files[path]; f.exists && f.binaryBy == nil {
			snap.After[path] = f.data
		}
	}
	return snap, nil
}

// notText reports a file whose content is not text to apply and read as
// C: a binary diff, or a symbolic link (mode 120000), whose "content" is
// the path it points to.
func notText(f *gitdiff.File) bool {
	const typeMask, symlink = 0o170000, 0o120000
	return f.IsBinary || f.NewMode&typeMask == symlink || f.OldMode&typeMask == symlink
}

// NotText reports a patched file that is not text to review: binary, or a
// symbolic link.
func NotText(f *gitdiff.File) bool { return notText(f) }

func patchName(p *Patch) string {
	s := "patch"
	if p.Total > 0 {
		s += fmt.Sprintf(" %d/%d", p.Index, p.Total)
	}
	if p.Subject != "" {
		s += fmt.Sprintf(" (%q)", p.Subject)
	}
	return s
}

// hunkError is a hunk (0-based) that does not apply.
type hunkError struct {
	hunk int
	err  error
}

// searchBudget bounds the line comparisons spent looking for the hunks of
// one file, so that a pathological file and patch cannot take quadratic
// time. Finding a moved hunk in a real file costs about one comparison per
// line searched, as context rarely matches beyond its first line; this is
// ample for any source file.
const searchBudget = 1 << 22

// applyText applies a file's hunks to src. go-gitdiff's applier does the
// application; it wants each hunk exactly where the hunk says, so each is
// first located here and handed over at its place.
func applyText(src []byte, frags []*gitdiff.TextFragment) ([]byte, []placedHunk, []Offset, *hunkError) {
	if len(frags) == 0 {
		return src, nil, nil, nil
	}
	lines := splitLines(src)
	var out bytes.Buffer
	a := gitdiff.NewTextApplier(&out, bytes.NewReader(src))
	var placed []placedHunk
	var offsets []Offset
	next := 0  // first line of src no hunk has consumed
	delta := 0 // how far off the previous hunk was
	grown := 0 // lines added minus lines removed so far
	budget := searchBudget
	for i, f := range frags {
		if err := f.Validate(); err != nil {
			return nil, nil, nil, &hunkError{i, fmt.Errorf("malformed hunk: %w", err)}
		}
		if f.OldPosition > maxLinePosition || f.NewPosition > maxLinePosition {
			return nil, nil, nil, &hunkError{i, fmt.Errorf("malformed hunk: it starts past line %d", maxLinePosition)}
		}
		var old []string
		for _, l := range f.Lines {
			if l.Old() {
				old = append(old, l.Line)
			}
		}
		// A hunk that only adds lines comes after line OldPosition; any
		// other starts at it.
		stated := int(f.OldPosition) - 1
		if f.OldLines == 0 {
			stated = int(f.OldPosition)
		}
		pos, ok := locate(lines, old, stated+delta, next, &budget)
		if !ok {
			return nil, nil, nil, &hunkError{i, mismatch(lines, old, stated+delta, next, budget)}
		}
		if pos != stated {
			offsets = append(offsets, Offset{Hunk: i + 1, Lines: pos - stated})
		}
		delta = pos - stated
		at := *f
		at.OldPosition = int64(pos) + 1 // go-gitdiff starts the hunk at line OldPosition-1, 0-based
		if err := a.ApplyFragment(&at); err != nil {
			return nil, nil, nil, &hunkError{i, err}
		}
		if f.NewLines > 0 {
			placed = append(placed, placedHunk{after: pos + grown + 1, newPos: int(f.NewPosition), n: int(f.NewLines)})
		}
		grown += int(f.LinesAdded - f.LinesDeleted)
		next = pos + len(old)
	}
	if err := a.Close(); err != nil {
		return nil, nil, nil, &hunkError{len(frags) - 1, err}
	}
	return out.Bytes(), placed, offsets, nil
}

// locate finds where old is in lines, at want or as near as it can, never
// before line from, all 0-based.
func locate(lines, old []string, want, from int, budget *int) (int, bool) {
	last := len(lines) - len(old) // last position old fits at
	if len(old) == 0 {
		// Nothing to match: the hunk goes where it says.
		return want, want >= from && want <= len(lines)
	}
	// Start at the first distance that reaches [from, last].
	d := 0
	if want > last {
		d = want - last
	} else if want < from {
		d = from - want
	}
	for ; *budget > 0; d++ {
		lo, hi := want-d, want+d
		if lo < from && hi > last {
			break
		}
		if lo >= from && lo <= last && matchAt(lines, old, lo, budget) {
			return lo, true
		}
		if d > 0 && hi >= from && hi <= last && matchAt(lines, old, hi, budget) {
			return hi, true
		}
	}
	return 0, false
}

func matchAt(lines, old []string, pos int, budget *int) bool {
	for k, l := range old {
		*budget--
		if lines[pos+k] != l {
			return false
		}
	}
	return true
}

// mismatch explains why a hunk's old lines are not at want.
func mismatch(lines, old []string, want, from, budget int) error {
	elsewhere := "and they are nowhere else in the file"
	if budget <= 0 {
		elsewhere = "and the search for them elsewhere gave up"
	}
	switch {
	case want < 0 || want > len(lines):
		return fmt.Errorf("the file has %d lines, fewer than the hunk's position, %s", len(lines), elsewhere)
	case want < from:
		return fmt.Errorf("its lines are only where the hunk before it applied, %s", elsewhere)
	}
	for k, l := range old {
		if want+k >= len(lines) {
			return fmt.Errorf("the file ends at line %d, the hunk's lines go on to line %d, %s", len(lines), want+len(old), elsewhere)
		}
		if lines[want+k] != l {
			return fmt.Errorf("line %d is %s, the patch expects %s, %s", want+k+1, quoteLine(lines[want+k]), quoteLine(l), elsewhere)
		}
	}
	return fmt.Errorf("its lines do not match, %s", elsewhere)
}

func quoteLine(s string) string {
	const max = 80
	s = strings.TrimSuffix(s, "\n")
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
