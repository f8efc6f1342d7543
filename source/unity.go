// SPDX-License-Identifier: GPL-2.0-only

package source

import (
	"lockbot/diff"

	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// UnityBuilds remembers, per directory, the C files that other C files
// of it include: kernel/sched/build_utility.c includes "sched.h" and then
// "psi.c", so psi.c is analysed with the headers its includer read before
// it (this_rq_lock_irq() disabling interrupts is in sched.h, which psi.c
// itself never includes). Safe for concurrent use.
type UnityBuilds struct {
	mu   sync.Mutex
	dirs map[string]map[string][]string // dir -> included .c name -> header paths before it
}

// NewUnityBuilds makes an empty cache.
func NewUnityBuilds() *UnityBuilds {
	return &UnityBuilds{dirs: map[string]map[string][]string{}}
}

// Before returns the headers the file including path reads before it, or
// nil when no file of its directory includes it.
func (u *UnityBuilds) Before(path string) []string {
	dir := filepath.Dir(path)
	u.mu.Lock()
	m, ok := u.dirs[dir]
	u.mu.Unlock()
	if !ok {
		m = scanUnity(dir)
		u.mu.Lock()
		u.dirs[dir] = m
		u.mu.Unlock()
	}
	return m[filepath.Base(path)]
}

// scanUnity reads the directory's C files for quoted includes of C files.
func scanUnity(dir string) map[string][]string {
	m := map[string][]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return m
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".c") {
			continue
		}
		data, err := diff.ReadRegular(filepath.Join(dir, e.Name()), 1<<20)
		if err != nil || !bytes.Contains(data, []byte(`.c"`)) {
			continue
		}
		var headers []string
		for _, inc := range QuotedIncludes(data) {
			switch {
			case strings.HasSuffix(inc, ".h"):
				headers = append(headers, filepath.Clean(filepath.Join(dir, inc)))
			case strings.HasSuffix(inc, ".c") && !strings.Contains(inc, "/"):
				if _, seen := m[inc]; !seen {
					m[inc] = append([]string(nil), headers...)
				}
			}
		}
	}
	return m
}
