// SPDX-License-Identifier: GPL-2.0-only

package source

import (
	"sync"

	"lockbot/cparse"
	"lockbot/kb"
)

// ParserPool lends parsers to analyses. A caller that runs many small
// Builds (an index builds one per file) would otherwise make and free a
// tree-sitter parser, and its tables, for every file.
type ParserPool struct {
	mu      sync.Mutex
	dialect *cparse.Dialect
	free    []*cparse.Parser
}

// NewParserPool makes parsers for k's dialect. Close it when done.
func NewParserPool(k *kb.KB) *ParserPool {
	return &ParserPool{dialect: k.Dialect()}
}

func (pp *ParserPool) get() *cparse.Parser {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if n := len(pp.free); n > 0 {
		p := pp.free[n-1]
		pp.free = pp.free[:n-1]
		return p
	}
	return cparse.NewParser(pp.dialect)
}

func (pp *ParserPool) put(p *cparse.Parser) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	pp.free = append(pp.free, p)
}

// Close frees the parsers not lent out.
func (pp *ParserPool) Close() {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	for _, p := range pp.free {
		p.Close()
	}
	pp.free = nil
}
