// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"sort"
	"strings"
)

// File is one parsed C file: its functions as control-flow graphs and the
// declarations the lock analysis needs to name lock classes.
type File struct {
	Path     string
	Src      []byte // the original text
	lines    []int  // offsets of line starts
	Funcs    []*Func
	Structs  map[string]*Struct // by tag: "struct foo", "union bar"
	Typedefs map[string]Type
	Globals  map[string]Type
	// Statics are the file-scope variables declared static: each file's
	// is its own object (and lockdep class), whatever its name.
	Statics  map[string]bool
	Includes []string // quoted #include names
	// Defines are the object-like macros the file defines whatever the
	// configuration: outside every #if but include guards and #ifdef
	// __KERNEL__ (aclinux.h's ACPI_GPE_USE_LOGICAL_ADDRESSES).
	Defines []string
	// CondDefines are the object-like macros the file defines under
	// plain #if conditions, with the condition as an #if expression
	// (mm.h's HASHED_PAGE_VIRTUAL: "defined(CONFIG_HIGHMEM) &&
	// !defined(WANT_PAGE_VIRTUAL)"): a configuration decides a test of
	// such a derived name as it decides the condition.
	CondDefines map[string]string
	// KeyedInits are the function-like macros the file defines that
	// declare a static struct lock_class_key: lock initialisers whose
	// every use is a lockdep class of its own (f2fs.h's
	// init_f2fs_rwsem()).
	KeyedInits []string
	// Ops are the functions stored in struct members by initializers.
	Ops []OpsInit
	// Guards are the guard classes the file defines (DEFINE_GUARD), by
	// name.
	Guards map[string]*GuardDef
	// Consts are the integer values of enumerators and object-like
	// #defines (CS_HARD = 1 << 0), for conditions on flags.
	Consts map[string]int64
	// ErrorNodes counts the ERROR nodes tree-sitter reported outside
	// functions, and ErrorLines are where they start.
	ErrorNodes int
	ErrorLines []int
	// Depth is how deeply the walks of the file's declarations and
	// statements recursed (at most MaxNesting), and ExprHeight the height
	// of its tallest expression (at most MaxExprHeight).
	Depth, ExprHeight int
}

// OpsInit is a function an initializer stores in a struct member, ".map =
// snapshot_map" in a struct target_type: a call through ->map() may call
// it.
type OpsInit struct {
	Struct string // "struct target_type"
	Field  string
	Fn     string
	Line   int
	// Var is the variable the initializer fills (snd_pcm_action_stop):
	// a call handed &Var reaches Fn and no other table's. "" for an
	// element of an array.
	Var string
}

// Key names the member: "struct target_type.map".
func (o OpsInit) Key() string { return o.Struct + "." + o.Field }

// Line returns the 1-based line of a byte offset.
func (f *File) Line(pos int) int {
	return sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > pos })
}

// LineText returns the text of a 1-based line without its newline.
func (f *File) LineText(line int) string {
	if line < 1 || line > len(f.lines) {
		return ""
	}
	s := f.lines[line-1]
	e := len(f.Src)
	if line < len(f.lines) {
		e = f.lines[line] - 1
	}
	return strings.TrimRight(string(f.Src[s:e]), "\r")
}

// Type is a declared C type reduced to what naming a lock class needs.
type Type struct {
	Base  string `json:"base"`          // "struct foo", "spinlock_t", "int"
	Ptr   int    `json:"ptr,omitempty"` // levels of pointer
	Array bool   `json:"array,omitempty"`
}

func (t Type) String() string {
	s := t.Base + strings.Repeat("*", t.Ptr)
	if t.Array {
		s += "[]"
	}
	return s
}

// Struct is a struct or union definition; fields of anonymous members are
// folded into their parent, as C lets code name them directly.
type Struct struct {
	Name   string
	Fields map[string]Type
}

// Param is a function parameter.
type Param struct {
	Name string `json:"name,omitempty"`
	Type Type   `json:"type"`
}

// Func is a function definition with its control-flow graph.
type Func struct {
	Name     string
	File     *File
	Line     int // line of the name
	EndLine  int
	Static   bool
	Ret      Type
	Params   []Param
	Locals   map[string]Type
	Annots   []Annotation
	Blocks   []*Block
	Entry    int
	NumStmts int
	// ErrorNodes counts syntax the parser could not read inside the body,
	// the first at ErrorLine; the analysis goes as far as the rest allows.
	ErrorNodes int
	ErrorLine  int
	// CallIDs maps each call expression to the statement that evaluates it,
	// so that a branch on a call's result finds the call.
	CallIDs map[*Expr]int
	// Conds are the preprocessor conditions the definition sits under
	// (#ifndef CONFIG_PREEMPT_RT around the whole function).
	Conds []PreCond
	// Macro: the function is a function-like macro of the file read as a
	// function (macrofunc.go). Its summary serves callers; it is not
	// itself reviewed, its body being a template.
	Macro bool
}

// PreCond is a preprocessor condition: Atom holds (or not, Val false).
type PreCond struct {
	Atom *Expr
	Val  bool
}

// TermKind says how a basic block ends.
type TermKind uint8

const (
	TJump   TermKind = iota // to Succs[0]
	TBranch                 // on Cond: Succs[0] if true, Succs[1] if false
	TSwitch                 // to any of Succs
	TReturn                 // leaves the function, returning Ret
	TStop                   // never continues (BUG(), panic(), infinite loop end)
)

// Block is a basic block.
type Block struct {
	ID    int
	Stmts []*Stmt
	Term  TermKind
	Cond  *Expr // TBranch: the condition atom
	Succs []int
	Ret   *Expr // TReturn: the returned value, or nil
	Line  int   // line of the terminator
	// Leave names the jump that ends the block, "goto out", "break" or
	// "continue", with Line its line: where a path leaves the one the
	// code around it runs (a goto past an unlock).
	Leave string
	// Pre marks a branch on a preprocessor condition (#ifdef arms).
	Pre bool
	// Switch is a TSwitch block's controlling expression, and Cases the
	// case value each successor starts at (nil for default, and for the
	// block after a switch without one).
	Switch *Expr
	Cases  []*Expr
}

// StmtKind says what a statement does.
type StmtKind uint8

const (
	SCall     StmtKind = iota // evaluates Call; LHS receives its value when set
	SAssign                   // LHS = RHS (RHS nil for ++/--)
	SGuard                    // guard()/scoped_guard() takes Guard
	SGuardEnd                 // the scope of Guard ends
	SLoopVar                  // an iterator macro assigns its cursor LHS
)

// Stmt is one step in a block.
type Stmt struct {
	Kind  StmtKind
	ID    int
	Line  int
	Call  *Expr // SCall
	LHS   *Expr
	RHS   *Expr
	Op    string // SAssign: "=", "|=", "&=", ...; "" for ++ and --
	Guard *Guard
}

// Guard is a scope-based lock: guard(class)(args) or
// scoped_guard(class, args) { }.
type Guard struct {
	Class string
	Args  []*Expr
	Line  int
	// Cond marks scoped_cond_guard: the body runs only when the lock was
	// taken, which the statement's ID names as a branch condition.
	Cond bool
	ID   int
}

// Callee returns the name of the function a call statement calls.
func (s *Stmt) Callee() string {
	if s.Kind != SCall {
		return ""
	}
	return s.Call.CallName()
}
