// SPDX-License-Identifier: GPL-2.0-only

// Package hook installs lockbot as git's sendemail-validate hook, so that
// git send-email refuses to send a patch series lockbot finds lock bugs in.
//
// # The hook
//
// git send-email runs hooks/sendemail-validate (under core.hooksPath when
// set) on every message before it sends any; a non-zero exit aborts the
// send. The hook Install writes runs
//
//	lockbot check --tree TOP --only-patch N 0001.patch ... 000N.patch
//
// for message N, with the earlier patches of the send saved under
// $GIT_DIR/lockbot-sendemail/, so each patch is judged with the ones before
// it applied and only its own findings are reported. This needs git 2.42 or
// later, which numbers the messages (GIT_SENDEMAIL_FILE_COUNTER and
// GIT_SENDEMAIL_FILE_TOTAL); older git (Debian bookworm has 2.39) gets each
// patch checked alone. Cover letters (no diff) are skipped. A
// sendemail-validate hook that was there before is kept as
// sendemail-validate.lockbot-chained and runs first.
//
// # b4
//
// b4 runs per-patch check commands itself, with one patch (an RFC 2822
// message) on standard input, the top of the work tree as the working
// directory, and the command split shell-like but not run by a shell. It
// has two protocols, under different settings:
//
// b4.prep-perpatch-check-cmd ("b4 prep --check", b4 0.14 and later) and
// b4.am-perpatch-check-cmd ("b4 am --check") read lines, checkpatch's
// terse output: a standard-output line containing "ERROR:" is a failure,
// any other line a warning, every standard-error line a failure; no output
// at all is success, or a failure naming the exit code if it is non-zero
// (the exit code is ignored when there is output). lockbot check --terse
// prints exactly one "path:line: ERROR:RULE: message" line per finding and
// nothing when clean, which is what this wants:
//
//	[b4]
//		prep-perpatch-check-cmd = lockbot check --terse --tree . -
//
// b4.review-perpatch-check-cmd ("b4 review", b4 0.15) reads a JSON array
// of {tool, status: pass|warn|fail, summary, url, details} from standard
// output instead; that is lockbot check --format b4:
//
//	[b4]
//		review-perpatch-check-cmd = lockbot check --format b4 --tree . -
//
// "b4 prep --check" runs on the prep branch, whose work tree already holds
// every patch of the series, as does a checkout git send-email sends a
// branch from: the tree lockbot check is given is then the series' result,
// not its base.
package hook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	// Name is the hook git send-email runs.
	Name = "sendemail-validate"
	// ChainedSuffix is appended to the name of a hook lockbot replaces.
	ChainedSuffix = ".lockbot-chained"
	// Marker is the comment that identifies a hook lockbot wrote, so that
	// reinstalling replaces it instead of chaining it.
	Marker = "lockbot-sendemail-validate: written by lockbot hook install"
	// StateDir, under the git directory, holds the patches of the send in
	// progress.
	StateDir = "lockbot-sendemail"
)

// ErrNotInstalled is returned by Uninstall when there is no lockbot hook.
var ErrNotInstalled = errors.New("lockbot's sendemail-validate hook is not installed")

// Options are the settings of Install.
type Options struct {
	// Lockbot is the binary the hook runs: an absolute path, or a bare
	// command name to find on PATH when the hook runs.
	Lockbot string
	// Force replaces an existing sendemail-validate.lockbot-chained with
	// the current foreign hook. Without it, finding both is an error,
	// since one of them would be lost.
	Force bool
	// Strict makes the hook stop the send when lockbot cannot review a
	// patch (exit 2: it does not apply, or cannot be read), not only when
	// it finds lock bugs.
	Strict bool
}

// Install writes lockbot's sendemail-validate hook into the hooks directory
// of the repository holding repoDir and returns its path. A foreign hook
// already there is renamed to Name+ChainedSuffix and run first by ours.
// Installing again rewrites the hook (with opt.Lockbot) and keeps the chain.
func Install(repoDir string, opt Options) (path string, err error) {
	if err := checkLockbot(opt.Lockbot); err != nil {
		return "", err
	}
	script, err := Script(opt.Lockbot, opt.Strict)
	if err != nil {
		return "", err
	}
	dir, err := HooksDir(repoDir)
	if err != nil {
		return "", err
	}
	// core.hooksPath may name a directory that does not exist yet.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("hooks directory: %w", err)
	}
	path = filepath.Join(dir, Name)
	chained := path + ChainedSuffix

	ours, exists, err := isOurs(path)
	if err != nil {
		return "", err
	}
	chain := exists && !ours
	if chain {
		if _, err := os.Lstat(chained); err == nil && !opt.Force {
			return "", fmt.Errorf("%s is not lockbot's, and %s already exists: move one of them away, or use --force to chain %s in place of the other",
				path, chained, path)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("chained hook: %w", err)
		}
	}

	// Write beside the target and rename, so git never runs a half-written
	// hook and a failure leaves the old one in place.
	tmp, err := os.CreateTemp(dir, "."+Name+".lockbot-*")
	if err != nil {
		return "", fmt.Errorf("writing hook: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(script); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing hook: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing hook: %w", err)
	}
	// CreateTemp makes 0600 files, and a umask must not strip the execute
	// bits git needs.
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", fmt.Errorf("writing hook: %w", err)
	}

	if chain {
		if err := os.Rename(path, chained); err != nil {
			return "", fmt.Errorf("keeping the existing hook: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if chain {
			if rerr := os.Rename(chained, path); rerr != nil {
				return "", fmt.Errorf("installing hook: %w (and restoring %s failed: %v)", err, path, rerr)
			}
		}
		return "", fmt.Errorf("installing hook: %w", err)
	}
	return path, nil
}

// Uninstall removes lockbot's hook and puts back the hook it chained, if
// any. It returns the hook's path, and ErrNotInstalled when there was
// nothing to remove. A hook lockbot did not write is left alone.
func Uninstall(repoDir string) (path string, err error) {
	dir, err := HooksDir(repoDir)
	if err != nil {
		return "", err
	}
	path = filepath.Join(dir, Name)
	chained := path + ChainedSuffix
	ours, exists, err := isOurs(path)
	if err != nil {
		return "", err
	}
	if exists && !ours {
		return path, fmt.Errorf("%s was not written by lockbot: leaving it", path)
	}
	_, cerr := os.Lstat(chained)
	if cerr != nil && !errors.Is(cerr, fs.ErrNotExist) {
		return path, fmt.Errorf("chained hook: %w", cerr)
	}
	hasChained := cerr == nil
	if !exists && !hasChained {
		return path, ErrNotInstalled
	}
	if hasChained {
		// Rename replaces ours in one step: no moment without a hook.
		if err := os.Rename(chained, path); err != nil {
			return path, fmt.Errorf("restoring the chained hook: %w", err)
		}
		return path, nil
	}
	if err := os.Remove(path); err != nil {
		return path, fmt.Errorf("removing hook: %w", err)
	}
	return path, nil
}

// HooksDir returns the absolute directory git runs the repository's hooks
// from. A relative core.hooksPath is relative to the top of the work tree
// (the git directory in a bare repository), where git runs hooks, not to
// where the command runs.
func HooksDir(repoDir string) (string, error) {
	repoDir, err := filepath.Abs(repoDir)
	if err != nil {
		return "", err
	}
	if _, err := git(repoDir, "rev-parse", "--absolute-git-dir"); err != nil {
		return "", fmt.Errorf("%s is not in a git repository: %w", repoDir, err)
	}
	hp, set, err := gitConfigPath(repoDir, "core.hooksPath")
	if err != nil {
		return "", err
	}
	if set && hp != "" {
		if filepath.IsAbs(hp) {
			return filepath.Clean(hp), nil
		}
		base, err := git(repoDir, "rev-parse", "--show-toplevel")
		if err != nil || base == "" {
			// Bare: git runs hooks in the git directory.
			if base, err = git(repoDir, "rev-parse", "--absolute-git-dir"); err != nil {
				return "", err
			}
		}
		return filepath.Join(base, hp), nil
	}
	// --git-path knows where hooks live in a linked worktree (the common
	// git directory) and in a repository with a separate git dir.
	p, err := git(repoDir, "rev-parse", "--git-path", "hooks")
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(repoDir, p) // relative to where git ran
	}
	return filepath.Clean(p), nil
}

// gitConfigPath reads a path-valued setting (~ expanded); set is false when
// the setting is absent.
func gitConfigPath(dir, key string) (value string, set bool, err error) {
	out, err := git(dir, "config", "--path", "--get", key)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return "", false, nil // git config's status for "not set"
	}
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("git %s in %s: %w", strings.Join(args, " "), dir, err)
		}
		return "", fmt.Errorf("git %s in %s: %w: %s", strings.Join(args, " "), dir, err, msg)
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// isOurs reports whether the hook at path exists and carries Marker.
func isOurs(path string) (ours, exists bool, err error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("existing hook: %w", err)
	}
	if st.IsDir() {
		return false, true, fmt.Errorf("existing hook %s is a directory", path)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, true, nil // a dangling symlink: a foreign hook
		}
		return false, true, fmt.Errorf("existing hook: %w", err)
	}
	defer f.Close()
	// The marker is on line 2; a short prefix is enough and bounds the read
	// of whatever binary someone installed.
	head, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return false, true, fmt.Errorf("existing hook: %w", err)
	}
	return bytes.Contains(head, []byte(Marker)), true, nil
}

func checkLockbot(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("no lockbot binary given")
	case !strings.ContainsRune(p, '/') && !strings.ContainsRune(p, filepath.Separator):
		return nil // a command name, looked up on PATH when the hook runs
	case !filepath.IsAbs(p):
		// The hook runs from the top of the work tree, not from here.
		return fmt.Errorf("lockbot binary %s: give an absolute path or a command name", p)
	}
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("lockbot binary: %w", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("lockbot binary %s is not an executable file", p)
	}
	return nil
}
