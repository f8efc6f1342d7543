// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// item is one message a source read, or one it could not take whole.
type item struct {
	raw []byte
	// size is the message's size when it is over the limit (raw is nil).
	size int64
	// where names it in logs: "git/0.git 1a2b3c4d", "offset 1234".
	where string
	// epoch and pos are the position to remember once the message is
	// recorded ("" when the source has none): the commit of a
	// public-inbox epoch, a Maildir file's name.
	epoch, pos string
}

// source reads a list's mail. cursor returns the position remembered for
// an epoch ("" for none); emit records a message, and returning an error
// from it stops the read.
type source interface {
	read(ctx context.Context, cursor func(epoch string) string, limit int64, emit func(item) error) error
}

func sourceFor(li *List) source {
	switch {
	case li.Inbox != "":
		return inboxSource{dir: li.Inbox}
	case li.Mbox != "":
		return mboxSource{path: li.Mbox}
	default:
		return maildirSource{dir: li.Maildir}
	}
}

// inboxSource reads a public-inbox v2 archive: git epochs git/N.git, one
// message per commit, in the blob "m" of the commit's tree (a commit that
// deletes a message has "d" instead). The position of an epoch is the
// last commit read. git itself reads the repositories: the archive is
// git's format, and public-inbox's own tools shell out to it too.
type inboxSource struct{ dir string }

var epochName = regexp.MustCompile(`^(\d+)\.git$`)

func (s inboxSource) epochs() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "git"))
	if err != nil {
		return nil, fmt.Errorf("public-inbox %s: %w", s.dir, err)
	}
	type epoch struct {
		n    int
		name string
	}
	var es []epoch
	for _, e := range ents {
		if m := epochName.FindStringSubmatch(e.Name()); m != nil {
			n, err := strconv.Atoi(m[1])
			if err == nil {
				es = append(es, epoch{n, e.Name()})
			}
		}
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("public-inbox %s: no git/N.git epoch (not a v2 inbox?)", s.dir)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].n < es[j].n })
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = "git/" + e.name
	}
	return out, nil
}

func (s inboxSource) read(ctx context.Context, cursor func(string) string, limit int64, emit func(item) error) error {
	epochs, err := s.epochs()
	if err != nil {
		return err
	}
	for _, ep := range epochs {
		if err := s.readEpoch(ctx, ep, cursor(ep), limit, emit); err != nil {
			return err
		}
	}
	return nil
}

func (s inboxSource) git(ctx context.Context, repo string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "git", append([]string{"--git-dir", repo}, args...)...)
}

func (s inboxSource) readEpoch(ctx context.Context, ep, since string, limit int64, emit func(item) error) error {
	repo := filepath.Join(s.dir, ep)
	head, err := s.git(ctx, repo, "rev-parse", "--verify", "--quiet", "HEAD").Output()
	if err != nil {
		return nil // an epoch without commits yet
	}
	args := []string{"rev-list", "--reverse", "--first-parent", strings.TrimSpace(string(head))}
	if since != "" {
		// A purge or an edit rewrites an epoch's history: then the
		// position is no ancestor of the head, and the whole epoch is read
		// again (Message-IDs already recorded are skipped).
		if s.git(ctx, repo, "merge-base", "--is-ancestor", since, "HEAD").Run() == nil {
			args = append(args, "^"+since)
		}
	}
	out, err := s.git(ctx, repo, args...).Output()
	if err != nil {
		return fmt.Errorf("public-inbox %s: git rev-list: %w", repo, err)
	}
	commits := strings.Fields(string(out))
	if len(commits) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cat := s.git(ctx, repo, "cat-file", "--batch")
	stdin, err := cat.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cat.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cat.Start(); err != nil {
		return fmt.Errorf("public-inbox %s: git cat-file: %w", repo, err)
	}
	go func() {
		// Written apart from the reads: git blocks writing what is not
		// read, and this would block writing what git has not read.
		defer stdin.Close()
		w := bufio.NewWriter(stdin)
		for _, c := range commits {
			if ctx.Err() != nil {
				return
			}
			fmt.Fprintf(w, "%s:m\n", c)
		}
		w.Flush()
	}()
	br := bufio.NewReaderSize(stdout, 64<<10)
	readErr := func() error {
		for _, c := range commits {
			it := item{where: ep + " " + c[:min(12, len(c))], epoch: ep, pos: c}
			hdr, err := br.ReadString('\n')
			if err != nil {
				return fmt.Errorf("public-inbox %s: git cat-file: %w", repo, err)
			}
			f := strings.Fields(hdr)
			switch {
			case len(f) == 2 && f[1] == "missing":
				// A deletion (the tree holds "d"): nothing to read, but
				// the position moves past it.
			case len(f) == 3 && f[1] == "blob":
				size, err := strconv.ParseInt(f[2], 10, 64)
				if err != nil {
					return fmt.Errorf("public-inbox %s: git cat-file: bad size in %q", repo, hdr)
				}
				if size > limit {
					if _, err := io.CopyN(io.Discard, br, size+1); err != nil {
						return err
					}
					it.size = size
				} else {
					buf := make([]byte, size+1)
					if _, err := io.ReadFull(br, buf); err != nil {
						return fmt.Errorf("public-inbox %s: git cat-file: %w", repo, err)
					}
					it.raw = buf[:size]
				}
			default:
				return fmt.Errorf("public-inbox %s: git cat-file: unexpected %q", repo, hdr)
			}
			if it.raw == nil && it.size == 0 {
				it.where += " (deleted)"
			}
			if err := emit(it); err != nil {
				return err
			}
		}
		return nil
	}()
	if readErr != nil {
		cancel() // stops git and the writer
	}
	io.Copy(io.Discard, stdout)
	waitErr := cat.Wait()
	if readErr != nil {
		return readErr
	}
	if waitErr != nil {
		return fmt.Errorf("public-inbox %s: git cat-file: %w", repo, waitErr)
	}
	return nil
}

// mboxSource reads an mbox (mboxo or mboxrd, as lei and b4 write them).
// It has no position: every run reads the whole file, and messages
// already recorded are skipped by Message-ID.
type mboxSource struct{ path string }

// maxMboxBytes bounds the file: an mbox kept by lei or b4 for one list is
// far smaller; a public-inbox mirror is the way for a whole archive.
const maxMboxBytes = 4 << 30

func (s mboxSource) read(ctx context.Context, _ func(string) string, limit int64, emit func(item) error) error {
	// Checked before opening: opening a FIFO would wait for a writer,
	// and a device (/dev/zero) has no size to bound.
	if st, err := os.Stat(s.path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("mbox %s: not a regular file (%s)", s.path, st.Mode().Type())
	}
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("mbox %s: not a regular file (%s)", s.path, st.Mode().Type())
	}
	if st.Size() > maxMboxBytes {
		return fmt.Errorf("mbox %s: %d bytes, over the %d this reads", s.path, st.Size(), int64(maxMboxBytes))
	}
	return splitMbox(ctx, f, limit, emit)
}

// splitMbox splits an mbox at its "From " lines, undoing mboxrd's
// ">From " quoting. A message over limit is passed on by size only.
//
// Lines are taken in pieces of at most the reader's buffer, never whole:
// a message keeps at most limit bytes, however long its lines, and a line
// longer than the buffer is neither cut nor held twice. Only a line's
// first piece can be a separator or carry the quoting.
func splitMbox(ctx context.Context, r io.Reader, limit int64, emit func(item) error) error {
	return splitMboxSize(ctx, r, limit, mboxBuffer, emit)
}

// mboxBuffer is the piece of a line splitMbox reads at a time.
const mboxBuffer = 64 << 10

// splitMboxSize is splitMbox with pieces of bufSize bytes (at least 16),
// which tests make small.
func splitMboxSize(ctx context.Context, r io.Reader, limit int64, bufSize int, emit func(item) error) error {
	br := bufio.NewReaderSize(r, bufSize)
	var (
		cur     bytes.Buffer
		size    int64
		started bool
		start   int64
		off     int64
		midLine bool // the last piece read did not end its line
		inFrom  bool // the pieces read are a separator line's
	)
	flush := func() error {
		if !started {
			return nil
		}
		it := item{where: fmt.Sprintf("offset %d", start)}
		if size > limit {
			it.size = size
		} else {
			it.raw = bytes.Clone(bytes.TrimRight(cur.Bytes(), "\n"))
			it.raw = append(it.raw, '\n')
		}
		cur.Reset()
		size = 0
		return emit(it)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The piece is only valid until the next read: it is copied
		// into cur, or dropped, before that.
		piece, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			err = nil
		}
		if len(piece) > 0 {
			lineStart := !midLine
			if lineStart {
				inFrom = false
			}
			switch {
			case lineStart && isMboxFrom(piece):
				if err := flush(); err != nil {
					return err
				}
				started, start, inFrom = true, off, true
			case inFrom:
				// The rest of a separator longer than the buffer.
			case started:
				l := piece
				if lineStart && bytes.HasPrefix(l, []byte(">")) && bytes.HasPrefix(bytes.TrimLeft(l, ">"), []byte("From ")) {
					l = l[1:]
				}
				size += int64(len(l))
				if size <= limit {
					cur.Write(l)
				}
			}
			off += int64(len(piece))
			midLine = piece[len(piece)-1] != '\n'
		}
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return fmt.Errorf("mbox: %w", err)
		}
	}
}

// mboxFrom is an mbox separator: "From " then an address or "-" and a
// date with a time, as git mailsplit wants it.
var mboxFrom = regexp.MustCompile(`^From \S+ .*\d:\d\d`)

func isMboxFrom(line []byte) bool { return mboxFrom.Match(line) }

// maildirSource reads a Maildir's new/ and cur/ without changing it (it is
// a mirror another program fills). A file's position is its unique name,
// so that each is read once.
type maildirSource struct{ dir string }

func (s maildirSource) read(ctx context.Context, cursor func(string) string, limit int64, emit func(item) error) error {
	var names []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(s.dir, sub))
		if err != nil {
			return fmt.Errorf("maildir %s: %w", s.dir, err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				names = append(names, sub+"/"+e.Name())
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The unique part of the name: a mail moved from new/ to cur/ and
		// given flags (":2,S") is the same mail.
		key, _, _ := strings.Cut(filepath.Base(n), ":")
		epoch := "maildir:" + key
		if cursor(epoch) != "" {
			continue
		}
		it := item{where: n, epoch: epoch, pos: "read"}
		f, err := os.Open(filepath.Join(s.dir, n))
		if errors.Is(err, os.ErrNotExist) {
			continue // moved between the listing and now: seen next run
		}
		if err != nil {
			return fmt.Errorf("maildir: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, limit+1))
		f.Close()
		if err != nil {
			return fmt.Errorf("maildir %s: %w", n, err)
		}
		if int64(len(data)) > limit {
			it.size = int64(len(data))
			if st, err := os.Stat(filepath.Join(s.dir, n)); err == nil {
				it.size = st.Size()
			}
		} else {
			it.raw = data
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	return nil
}
