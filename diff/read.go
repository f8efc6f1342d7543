// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// Series is the patches of one input, in order.
type Series struct {
	// Patches are sorted by Index; an unnumbered series keeps input order.
	Patches []*Patch
	// Cover is the "[PATCH 0/N]" cover letter, if any; it has no Files.
	Cover *Patch
	// BaseCommit is the "base-commit:" trailer of the cover letter, or else
	// of the first patch that carries one.
	BaseCommit string
	// Ignored lists the mails of the input that are not part of the series
	// (replies), so that callers can say they were left out.
	Ignored []Ignored
}

// Ignored is a mail that is not part of the series.
type Ignored struct {
	Source  string // the file it is in (ReadFiles), empty for Read
	Mail    int    // 1-based number of the mail in its input
	Line    int    // input line of its mbox "From " line or first header
	Subject string // as sent
	Reason  string
}

// Limits bound what Read and its variants accept. A zero field means its
// default; exceeding a limit is an error, never a truncation.
type Limits struct {
	MaxBytes   int64 // total input size; default 64 MiB
	MaxPatches int   // patches in the series; default 1000
	MaxFiles   int   // files changed, summed over the series; default 10000
	// Partial accepts a numbered series with patches missing: a
	// pre-send check sees patch 2/3 alone (b4, git send-email before
	// 2.42) or patches 1-2 of 3 before the third is written. Numbers
	// must still be unique and agree on the total.
	Partial bool
}

const (
	defaultMaxBytes   = 64 << 20
	defaultMaxPatches = 1000
	defaultMaxFiles   = 10000
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = defaultMaxBytes
	}
	if l.MaxPatches <= 0 {
		l.MaxPatches = defaultMaxPatches
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = defaultMaxFiles
	}
	return l
}

// Read reads a series from r, which holds an mbox of one or more mails
// ("From " lines separate them; a cover letter and replies may be among
// them), one mail (`git format-patch` output, or a mail saved without the
// "From " line), or a plain `git diff`, `git show` or `diff -u` output, which
// makes one unnumbered patch.
//
// A mail whose subject starts with "Re:" is a reply and never a patch of the
// series, even when it carries a diff (a reviewer's "something like this?");
// Series.Ignored lists it. Any other mail without a diff, a mail that does
// not parse, a series with a patch missing, twice, or of two versions, is an
// error naming the mail.
func Read(r io.Reader, lim Limits) (*Series, error) {
	lim = lim.withDefaults()
	data, err := readLimited(r, lim.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	ms, err := readInput(data, "")
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	s, err := assemble(ms, lim)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	return s, nil
}

// ReadFiles reads a series from several files, such as the 0001-*.patch
// files of `git format-patch`, in any order: each may be a mail, an mbox or
// a plain diff. MaxBytes bounds the files' total size. A patch's Source
// names its file, whose lines PatchLine counts. "-" is a file like any
// other; to read standard input, pass os.Stdin to Read.
func ReadFiles(paths []string, lim Limits) (*Series, error) {
	lim = lim.withDefaults()
	if len(paths) == 0 {
		return nil, errors.New("diff: no patch files given")
	}
	var all []*parsed
	left := lim.MaxBytes
	for _, path := range paths {
		data, err := readFile(path, left)
		if errors.Is(err, errTooBig) {
			return nil, fmt.Errorf("diff: %s: the files exceed the limit of %d bytes", path, lim.MaxBytes)
		}
		if err != nil {
			return nil, fmt.Errorf("diff: %w", err)
		}
		left -= int64(len(data))
		ms, err := readInput(data, path)
		if err != nil {
			return nil, fmt.Errorf("diff: %s: %w", path, err)
		}
		all = append(all, ms...)
	}
	s, err := assemble(all, lim)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	return s, nil
}

func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readLimited(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

var errTooBig = errors.New("input too big")

// readLimited reads all of r, failing rather than truncating past limit.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: it exceeds the limit of %d bytes", errTooBig, limit)
	}
	return data, nil
}

// FromGit reads the commits of revRange in the git repository repoDir, as
// `git format-patch --stdout --no-signature` writes them; PatchLine counts
// the lines of each commit's own mail, from 1. A single revision means from there to HEAD, as git
// format-patch takes it. The repository's format.* configuration applies.
func FromGit(ctx context.Context, repoDir, revRange string, lim Limits) (*Series, error) {
	lim = lim.withDefaults()
	if revRange == "" || strings.HasPrefix(revRange, "-") {
		return nil, fmt.Errorf("diff: bad revision range %q", revRange)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", repoDir, "format-patch", "--stdout", "--no-signature", revRange)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("diff: git format-patch: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("diff: git format-patch: %w", err)
	}
	data, readErr := readLimited(out, lim.MaxBytes)
	if readErr != nil {
		cancel() // git blocks writing what is not read; stop it
	}
	waitErr := cmd.Wait()
	if readErr != nil {
		return nil, fmt.Errorf("diff: git format-patch %s: %w", revRange, readErr)
	}
	if waitErr != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("diff: git format-patch %s: %w", revRange, waitErr)
		}
		return nil, fmt.Errorf("diff: git format-patch %s: %w: %s", revRange, waitErr, msg)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("diff: git format-patch %s: no commits in range", revRange)
	}
	ms, err := readInput(data, "")
	if err != nil {
		return nil, fmt.Errorf("diff: git format-patch %s: %w", revRange, err)
	}
	// Each commit's lines count from its own first line, as checkpatch -g
	// numbers them: "#20:" is in commit 2 as git show --format=email
	// prints it, not 20 lines into the whole range.
	for _, m := range ms {
		if m.patch != nil {
			m.patch.renumber(m.line - 1)
		}
	}
	s, err := assemble(ms, lim)
	if err != nil {
		return nil, fmt.Errorf("diff: git format-patch %s: %w", revRange, err)
	}
	return s, nil
}

// limitedWriter keeps the first n bytes written to it and drops the rest,
// so that a chatty command cannot grow an error message without bound.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// assemble makes a series of the mails read: it sets replies aside, finds
// the cover letter and checks that numbering and versions agree.
func assemble(ms []*parsed, lim Limits) (*Series, error) {
	s := &Series{}
	var patches []*parsed
	for _, m := range ms {
		p := m.patch
		switch {
		case m.reply:
			reason := "reply, not a patch"
			if len(p.Files) > 0 {
				reason = "reply carrying a diff, not taken as a patch of the series"
			}
			s.Ignored = append(s.Ignored, Ignored{Source: p.Source, Mail: p.mail, Line: m.line, Subject: p.mailSubject, Reason: reason})
		case m.cover:
			if s.Cover != nil {
				return nil, fmt.Errorf("two cover letters: %s and %s", where(s.Cover), where(p))
			}
			s.Cover = p
		default:
			patches = append(patches, m)
		}
	}
	if len(patches) == 0 {
		if len(s.Ignored) > 0 {
			return nil, fmt.Errorf("no patch found (%d replies ignored)", len(s.Ignored))
		}
		return nil, errors.New("no patch found")
	}
	if len(patches) > lim.MaxPatches {
		return nil, fmt.Errorf("%d patches exceed the limit of %d", len(patches), lim.MaxPatches)
	}
	files := 0
	for _, m := range patches {
		files += len(m.patch.Files)
	}
	if files > lim.MaxFiles {
		return nil, fmt.Errorf("%d changed files exceed the limit of %d", files, lim.MaxFiles)
	}

	// Every mail of the series, cover letter first, for the checks that
	// involve it too.
	all := make([]*Patch, 0, len(patches)+1)
	if s.Cover != nil {
		all = append(all, s.Cover)
	}
	for _, m := range patches {
		all = append(all, m.patch)
	}
	for _, p := range all[1:] {
		if p.Version != all[0].Version {
			return nil, fmt.Errorf("mixed versions: %s is v%d, %s is v%d", where(all[0]), all[0].Version, where(p), p.Version)
		}
	}
	if err := checkNumbering(all, lim); err != nil {
		return nil, err
	}
	for _, m := range patches {
		s.Patches = append(s.Patches, m.patch)
	}
	sort.SliceStable(s.Patches, func(i, j int) bool { return s.Patches[i].Index < s.Patches[j].Index })
	for _, p := range all {
		if p.BaseCommit != "" {
			s.BaseCommit = p.BaseCommit
			break
		}
	}
	return s, nil
}

// checkNumbering checks that a numbered series is whole: one total, each
// index once, none missing. all holds the cover letter, if any, first.
func checkNumbering(all []*Patch, lim Limits) error {
	var numbered, unnumbered *Patch
	for _, p := range all {
		if p.Total > 0 {
			numbered = p
		} else {
			unnumbered = p
		}
	}
	if numbered == nil {
		return nil
	}
	if unnumbered != nil {
		return fmt.Errorf("numbered and unnumbered patches mixed: %s and %s", where(numbered), where(unnumbered))
	}
	total := all[0].Total
	if total > lim.MaxPatches {
		return fmt.Errorf("series of %d patches exceeds the limit of %d", total, lim.MaxPatches)
	}
	seen := make(map[int]*Patch, total)
	for _, p := range all {
		if p.Total != total {
			return fmt.Errorf("series totals disagree: %s says %d/%d, %s says %d/%d", where(all[0]), all[0].Index, total, where(p), p.Index, p.Total)
		}
		if q := seen[p.Index]; q != nil {
			return fmt.Errorf("patch %d/%d twice: %s and %s", p.Index, total, where(q), where(p))
		}
		seen[p.Index] = p
	}
	var missing []string
	for i := 1; i <= total && !lim.Partial; i++ {
		if seen[i] == nil {
			missing = append(missing, fmt.Sprintf("%d/%d", i, total))
		}
	}
	switch {
	case len(missing) == 1:
		return fmt.Errorf("series incomplete: patch %s is missing", missing[0])
	case len(missing) > 10:
		return fmt.Errorf("series incomplete: patches %s and %d more are missing", strings.Join(missing[:10], ", "), len(missing)-10)
	case len(missing) > 0:
		return fmt.Errorf("series incomplete: patches %s are missing", strings.Join(missing, ", "))
	}
	return nil
}

// where names a mail in an error message.
func where(p *Patch) string {
	s := fmt.Sprintf("mail %d", p.mail)
	if p.Source != "" {
		s = p.Source + ": " + s
	}
	if p.mailSubject != "" {
		s += fmt.Sprintf(" (%q)", p.mailSubject)
	}
	return s
}
