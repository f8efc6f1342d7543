// SPDX-License-Identifier: GPL-2.0-only

package kbuild

import (
	"os"
	"testing"
)

// BenchmarkLoadRT reads a whole kernel tree's Kconfig (LOCKBOT_KERNEL_DIR):
// a fixed cost of every `lockbot check` in a tree.
func BenchmarkLoadRT(b *testing.B) {
	root := os.Getenv("LOCKBOT_KERNEL_DIR")
	if root == "" {
		b.Skip("LOCKBOT_KERNEL_DIR not set")
	}
	for b.Loop() {
		if _, err := LoadRT(root, "PREEMPT_RT"); err != nil {
			b.Fatal(err)
		}
	}
}
