// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"os"
	"testing"

	"lockbot/kb"
	"lockbot/source"
)

func TestProfileTree(t *testing.T) {
	dir := os.Getenv("LOCKBOT_PROFILE_DIR")
	if dir == "" {
		t.Skip("LOCKBOT_PROFILE_DIR not set")
	}
	srcs, err := source.LoadPaths([]string{dir}, source.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Analyze(context.Background(), srcs, Options{KB: kb.MustDefault()}); err != nil {
		t.Fatal(err)
	}
}
