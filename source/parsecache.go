// SPDX-License-Identifier: GPL-2.0-only

package source

import (
	"bytes"
	"container/list"
	"sync"

	"lockbot/cparse"
)

// ParseCache keeps parsed context files (the headers a file includes)
// from one analysis to the next, so that a header included by a whole
// directory is parsed once while an index walks it. Parsed files are
// read-only to the analysis, so analyses running at once share them. The
// least recently used are dropped past a budget of source bytes.
type ParseCache struct {
	mu     sync.Mutex
	budget int
	size   int
	lru    *list.List // of *parsed, most recent first
	byPath map[string]*list.Element
}

type parsed struct {
	path string
	src  []byte
	f    *cparse.File
	err  error
}

// NewParseCache holds parsed files of up to budget source bytes.
func NewParseCache(budget int) *ParseCache {
	return &ParseCache{budget: budget, lru: list.New(), byPath: map[string]*list.Element{}}
}

// get returns the parse of path if the cache holds it for this content.
func (c *ParseCache) get(path string, src []byte) (*cparse.File, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byPath[path]
	if !ok {
		return nil, nil, false
	}
	p := e.Value.(*parsed)
	if !bytes.Equal(p.src, src) {
		return nil, nil, false
	}
	c.lru.MoveToFront(e)
	return p.f, p.err, true
}

func (c *ParseCache) put(path string, src []byte, f *cparse.File, err error) {
	if len(src) > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byPath[path]; ok {
		c.size -= len(e.Value.(*parsed).src)
		c.lru.Remove(e)
	}
	c.byPath[path] = c.lru.PushFront(&parsed{path: path, src: src, f: f, err: err})
	c.size += len(src)
	for c.size > c.budget {
		old := c.lru.Back()
		p := old.Value.(*parsed)
		c.lru.Remove(old)
		delete(c.byPath, p.path)
		c.size -= len(p.src)
	}
}
