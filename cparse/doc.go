// SPDX-License-Identifier: GPL-2.0-only

// Package cparse reads kernel C: tree-sitter's C grammar, driven through
// one cgo call per file, gives the statements; a prepass first hides
// what the grammar misreads (attributes, sparse's lock annotations,
// iterator macros with bodies, tracepoint templates) and records it;
// expressions are parsed from the text in Go; each function becomes a
// control-flow graph of basic blocks (Func, Block, Stmt, Expr), with
// preprocessor arms as branches on their conditions.
//
// Untrusted input is bounded: MaxFileSize, MaxNesting, MaxExprHeight,
// and tree-sitter's time by ParseTimeout. A file past a bound is refused
// with an error (ErrTooDeep, ErrNotC), never analysed in part.
package cparse
