// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPasswordFileMode (B14): smtp.password_file is refused when others
// may read or change it, or when it is not the user's own, with an error
// naming the file, its mode and the fix.
func TestPasswordFileMode(t *testing.T) {
	dir := t.TempDir()
	sender := func(path string) error {
		_, err := newSMTPSender(SMTPConfig{Server: "127.0.0.1:587", TLS: "starttls", Username: "lockbot", PasswordFile: path})
		return err
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		os.Chmod(pw, mode)
		if err := sender(pw); err != nil {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o666, 0o620} {
		os.Chmod(pw, mode)
		err := sender(pw)
		if err == nil {
			t.Errorf("mode %04o accepted", mode)
			continue
		}
		for _, want := range []string{"smtp.password_file " + pw + ":", fmt.Sprintf("mode %04o", mode), "chmod 600 " + pw} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("mode %04o: %q; want %q in it", mode, err, want)
			}
		}
	}
	os.Chmod(pw, 0o600)

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		done := make(chan error, 1)
		go func() { done <- sender(fifo) }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("a FIFO: %v; want not a regular file", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("reading a FIFO as the password file waits for a writer")
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close() // lets the reader go
			}
		}
	}

	if os.Getuid() != 0 {
		t.Skip("not root: cannot give the file to another user")
	}
	if err := os.Chown(pw, 65534, -1); err != nil {
		t.Fatal(err)
	}
	if err := sender(pw); err == nil || !strings.Contains(err.Error(), "owned by uid 65534, not by the user lockbot runs as (uid 0)") {
		t.Errorf("a file of another user: %v; want it refused", err)
	}
}
