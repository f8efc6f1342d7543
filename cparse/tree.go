// SPDX-License-Identifier: GPL-2.0-only

package cparse

/*
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

// The parts of tree-sitter's C API (api.h of the go-tree-sitter version
// go.mod pins) the flattening uses. The functions are go-tree-sitter's
// own compiled copies, linked into the same binary.
typedef struct TSNode {
	uint32_t context[4];
	const void *id;
	const void *tree;
} TSNode;

typedef struct TSTreeCursor {
	const void *tree;
	const void *id;
	uint32_t context[3];
} TSTreeCursor;

extern TSTreeCursor ts_tree_cursor_new(TSNode node);
extern void ts_tree_cursor_delete(TSTreeCursor *self);
extern TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
extern uint16_t ts_tree_cursor_current_field_id(const TSTreeCursor *self);
extern bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);
extern bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
extern bool ts_tree_cursor_goto_parent(TSTreeCursor *self);
extern uint16_t ts_node_symbol(TSNode self);
extern uint32_t ts_node_start_byte(TSNode self);
extern uint32_t ts_node_end_byte(TSNode self);
extern bool ts_node_is_named(TSNode self);
extern bool ts_node_is_missing(TSNode self);

typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct TSLanguage TSLanguage;
extern TSParser *ts_parser_new(void);
extern void ts_parser_delete(TSParser *self);
extern bool ts_parser_set_language(TSParser *self, const TSLanguage *language);
extern void ts_parser_set_timeout_micros(TSParser *self, uint64_t timeout);
extern void ts_parser_reset(TSParser *self);
extern TSTree *ts_parser_parse_string(TSParser *self, const TSTree *old_tree, const char *string, uint32_t length);
extern TSNode ts_tree_root_node(const TSTree *self);
extern void ts_tree_delete(TSTree *self);
extern const TSLanguage *tree_sitter_c(void);

typedef struct {
	uint32_t start, end;
	int32_t parent;
	uint16_t sym, field;
	uint8_t flags;
} lbFlat;

enum { lbNamed = 1, lbMissing = 2 };

// lb_flatten writes the tree under root in preorder into *out, which
// holds *cap nodes and is grown with realloc when the tree needs more,
// and returns the number of nodes, or -1 when memory ran out.
static int64_t lb_flatten(TSNode root, lbFlat **out, uint32_t *cap) {
	TSTreeCursor c = ts_tree_cursor_new(root);
	uint32_t n = 0;
	uint32_t depth = 0, stackCap = 256;
	int32_t *stack = malloc(stackCap * sizeof(int32_t));
	int32_t parent = -1;
	if (stack == NULL) {
		ts_tree_cursor_delete(&c);
		return -1;
	}
	for (;;) {
		TSNode nd = ts_tree_cursor_current_node(&c);
		if (n == *cap || *out == NULL) {
			uint32_t ncap = *cap < 1024 ? 1024 : *cap * 2;
			lbFlat *grown = realloc(*out, (size_t)ncap * sizeof(lbFlat));
			if (grown == NULL) {
				free(stack);
				ts_tree_cursor_delete(&c);
				return -1;
			}
			*out = grown;
			*cap = ncap;
		}
		lbFlat *f = &(*out)[n];
		f->start = ts_node_start_byte(nd);
		f->end = ts_node_end_byte(nd);
		f->parent = parent;
		f->sym = ts_node_symbol(nd);
		f->field = ts_tree_cursor_current_field_id(&c);
		f->flags = (ts_node_is_named(nd) ? lbNamed : 0) | (ts_node_is_missing(nd) ? lbMissing : 0);
		int32_t self = (int32_t)n;
		n++;
		if (ts_tree_cursor_goto_first_child(&c)) {
			if (depth == stackCap) {
				stackCap *= 2;
				int32_t *grown = realloc(stack, stackCap * sizeof(int32_t));
				if (grown == NULL) {
					free(stack);
					ts_tree_cursor_delete(&c);
					return -1;
				}
				stack = grown;
			}
			stack[depth++] = parent;
			parent = self;
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&c)) {
			if (depth == 0 || !ts_tree_cursor_goto_parent(&c)) {
				free(stack);
				ts_tree_cursor_delete(&c);
				return (int64_t)n;
			}
			parent = stack[--depth];
		}
	}
}

// lb_new_parser makes a parser of the C grammar, or NULL.
static TSParser *lb_new_parser(void) {
	TSParser *p = ts_parser_new();
	if (p != NULL && !ts_parser_set_language(p, tree_sitter_c())) {
		ts_parser_delete(p);
		return NULL;
	}
	return p;
}

// lb_parse_flatten parses src and flattens the tree as lb_flatten does,
// in one call: the source is read where Go keeps it, and the tree is
// freed before returning. It returns -2 when tree-sitter gave up (its
// timeout), after resetting the parser for the next file.
static int64_t lb_parse_flatten(TSParser *p, const char *src, uint32_t len, uint64_t timeout,
		lbFlat **out, uint32_t *cap) {
	ts_parser_set_timeout_micros(p, timeout);
	TSTree *t = ts_parser_parse_string(p, NULL, src, len);
	if (t == NULL) {
		ts_parser_reset(p);
		return -2;
	}
	int64_t n = lb_flatten(ts_tree_root_node(t), out, cap);
	ts_tree_delete(t);
	return n;
}
*/
import "C"

import (
	"errors"
	"time"
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// A file's syntax tree is copied out of tree-sitter in one cgo call and
// read in Go: reading it node by node through the binding cost a cgo call
// and a map lookup per question (a third of everything the builder did),
// and the questions asked of each statement are many.

// tsNode is one node of a flattened tree. Its methods answer as
// go-tree-sitter's Node methods of the same names do.
type tsNode struct {
	t          *flatTree
	start, end uint32
	sym, field uint16
	flags      uint8
	// kids and named index the tree's child lists: all children, and the
	// named ones.
	kids, nkids   int32
	named, nnamed int32
}

type flatTree struct {
	nodes []tsNode
	kids  []*tsNode
	named []*tsNode
	src   []byte
	lang  *langTable
}

// langTable names the grammar's symbols and fields.
type langTable struct {
	symbols []string
	fields  map[string]uint16
	fieldNm []string
}

func newLangTable(l *sitter.Language) *langTable {
	t := &langTable{fields: map[string]uint16{}}
	for s := uint32(0); s < l.SymbolCount(); s++ {
		t.symbols = append(t.symbols, l.SymbolName(sitter.Symbol(s)))
	}
	t.fieldNm = append(t.fieldNm, "")
	for id := 1; ; id++ {
		name := l.FieldName(id)
		if name == "" {
			break
		}
		t.fields[name] = uint16(id)
		t.fieldNm = append(t.fieldNm, name)
	}
	return t
}

// flattener copies trees out. Its buffer lives in C, so the walk grows it
// without coming back to Go; it is reused from file to file and freed by
// close.
type flattener struct {
	buf *C.lbFlat
	cap C.uint32_t
}

func (fl *flattener) close() {
	C.free(unsafe.Pointer(fl.buf))
	fl.buf, fl.cap = nil, 0
}

// flatten copies the tree under root. root must come from a live tree.
func (fl *flattener) flatten(root *sitter.Node, src []byte, lang *langTable) (*flatTree, error) {
	// go-tree-sitter's Node begins with the C node it wraps; the layout
	// test of this package checks the copy against the binding's answers.
	cn := *(*C.TSNode)(unsafe.Pointer(root))
	return fl.build(int64(C.lb_flatten(cn, &fl.buf, &fl.cap)), src, lang)
}

// tsParser is tree-sitter's parser of the C grammar, driven directly:
// go-tree-sitter's Parse copies the source into C memory and hands the
// tree back for one more call to free it, 5% of the parse on a tree.
type tsParser struct {
	p *C.TSParser
}

func newTSParser() (*tsParser, error) {
	p := C.lb_new_parser()
	if p == nil {
		return nil, errors.New("tree-sitter: cannot make a C parser")
	}
	return &tsParser{p: p}, nil
}

func (tp *tsParser) close() {
	if tp.p != nil {
		C.ts_parser_delete(tp.p)
		tp.p = nil
	}
}

// errTimeout is a parse that took longer than Parser.Timeout.
var errTimeout = errors.New("parse took too long")

// parse parses src and flattens its tree, giving up after timeout.
func (fl *flattener) parse(tp *tsParser, src []byte, timeout time.Duration, lang *langTable) (*flatTree, error) {
	var ptr *C.char
	if len(src) > 0 {
		// tree-sitter reads the bytes during the call and keeps none of
		// them: the tree holds offsets, not text.
		ptr = (*C.char)(unsafe.Pointer(&src[0]))
	}
	n := int64(C.lb_parse_flatten(tp.p, ptr, C.uint32_t(len(src)), C.uint64_t(timeout.Microseconds()), &fl.buf, &fl.cap))
	if n == -2 {
		return nil, errTimeout
	}
	return fl.build(n, src, lang)
}

// build reads the n nodes lb_flatten wrote into the Go tree.
func (fl *flattener) build(n int64, src []byte, lang *langTable) (*flatTree, error) {
	if n < 0 {
		return nil, errors.New("out of memory copying the syntax tree")
	}
	flat := unsafe.Slice(fl.buf, n)
	t := &flatTree{nodes: make([]tsNode, n), src: src, lang: lang}
	nk, nn := make([]int32, n), make([]int32, n)
	for i := range flat {
		if p := flat[i].parent; p >= 0 {
			nk[p]++
			if flat[i].flags&C.lbNamed != 0 {
				nn[p]++
			}
		}
	}
	var ks, ns int32
	for i := range flat {
		f := &flat[i]
		field := uint16(f.field)
		if p := f.parent; p >= 0 && flat[p].sym == symError {
			// An ERROR node has no production, so tree-sitter's node API
			// gives its children no fields; the cursor would.
			field = 0
		}
		t.nodes[i] = tsNode{t: t, start: uint32(f.start), end: uint32(f.end), sym: uint16(f.sym), field: field, flags: uint8(f.flags),
			kids: ks, named: ns}
		ks += nk[i]
		ns += nn[i]
	}
	t.kids = make([]*tsNode, ks)
	t.named = make([]*tsNode, ns)
	// Preorder lists each parent's children in order.
	for i := range flat {
		p := flat[i].parent
		if p < 0 {
			continue
		}
		pn := &t.nodes[p]
		t.kids[pn.kids+pn.nkids] = &t.nodes[i]
		pn.nkids++
		if flat[i].flags&C.lbNamed != 0 {
			t.named[pn.named+pn.nnamed] = &t.nodes[i]
			pn.nnamed++
		}
	}
	return t, nil
}

func (t *flatTree) root() *tsNode {
	if len(t.nodes) == 0 {
		return nil
	}
	return &t.nodes[0]
}

// tree-sitter's built-in symbols for errors, past the grammar's own.
const (
	symError       = 0xFFFF
	symErrorRepeat = 0xFFFE
)

// Type is the node's grammar symbol name.
func (n *tsNode) Type() string {
	switch {
	case int(n.sym) < len(n.t.lang.symbols):
		return n.t.lang.symbols[n.sym]
	case n.sym == symError:
		return "ERROR"
	case n.sym == symErrorRepeat:
		return "_ERROR"
	}
	return ""
}

func (n *tsNode) StartByte() uint32 { return n.start }
func (n *tsNode) EndByte() uint32   { return n.end }

// Content is the node's source text.
func (n *tsNode) Content(src []byte) string { return string(src[n.start:n.end]) }

func (n *tsNode) IsNamed() bool   { return n.flags&C.lbNamed != 0 }
func (n *tsNode) IsMissing() bool { return n.flags&C.lbMissing != 0 }

func (n *tsNode) ChildCount() uint32      { return uint32(n.nkids) }
func (n *tsNode) NamedChildCount() uint32 { return uint32(n.nnamed) }

func (n *tsNode) Child(i int) *tsNode {
	if i < 0 || i >= int(n.nkids) {
		return nil
	}
	return n.t.kids[int(n.kids)+i]
}

func (n *tsNode) NamedChild(i int) *tsNode {
	if i < 0 || i >= int(n.nnamed) {
		return nil
	}
	return n.t.named[int(n.named)+i]
}

// FieldNameForChild is the field name of the i-th child, "" for none.
func (n *tsNode) FieldNameForChild(i int) string {
	c := n.Child(i)
	if c == nil || int(c.field) >= len(n.t.lang.fieldNm) {
		return ""
	}
	return n.t.lang.fieldNm[c.field]
}

// ChildByFieldName is the first child under the named field.
func (n *tsNode) ChildByFieldName(name string) *tsNode {
	id, ok := n.t.lang.fields[name]
	if !ok {
		return nil
	}
	for _, c := range n.t.kids[n.kids : n.kids+n.nkids] {
		if c.field == id {
			return c
		}
	}
	return nil
}

// hasError reports an ERROR or MISSING node anywhere in the tree.
func (t *flatTree) hasError() bool {
	for i := range t.nodes {
		if c := &t.nodes[i]; c.IsMissing() || c.sym == symError {
			return true
		}
	}
	return false
}
