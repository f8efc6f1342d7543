// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// maxSecretBytes bounds a secret file: a password is a line.
const maxSecretBytes = 64 << 10

// readSecret reads a file holding a secret (smtp.password_file), and
// refuses one other users may read or replace, or that is not the
// user's own, as ssh refuses such a private key: a password others can
// read has leaked, and one they can write lets them pick the account
// replies go out through. what names the setting in errors.
func readSecret(what, path string) ([]byte, error) {
	// Checked before opening too: opening a FIFO would wait for a writer.
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: not a regular file", what, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	// The open file's own metadata: what is checked is what is read.
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: not a regular file", what, path)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Getuid() {
		return nil, fmt.Errorf("%s %s: owned by uid %d, not by the user lockbot runs as (uid %d); chown it to that user, then chmod 600 %s", what, path, sys.Uid, os.Getuid(), path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s %s: mode %04o lets other users read or change it; run chmod 600 %s", what, path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if len(data) > maxSecretBytes {
		return nil, fmt.Errorf("%s %s: over %d bytes, not a password", what, path, maxSecretBytes)
	}
	return data, nil
}
