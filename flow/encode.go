// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"encoding/json"
	"fmt"
	"sort"

	"lockbot/cparse"
	"lockbot/kb"
)

// SummaryVersion names the encoding of FuncRecord and what summaries mean:
// a store of another version is stale and is rebuilt.
const SummaryVersion = 77

// FuncRecord is what a store keeps of an analysed function so that
// another run can call it without its source: its signature and its
// summary. Expressions are kept as C text and parsed back.
type FuncRecord struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Line   int    `json:"line"`
	Static bool   `json:"static,omitempty"`
	// Macro: a function-like macro read as a function (cparse.Func.Macro).
	Macro  bool           `json:"macro,omitempty"`
	Ret    cparse.Type    `json:"ret"`
	Params []cparse.Param `json:"params,omitempty"`
	// Locals are the function's own variables its recorded expressions
	// name: a caller must not read them as globals (a callee's
	// XA_STATE(xas) is not the caller's xas).
	Locals   []string         `json:"locals,omitempty"`
	NoReturn bool             `json:"noreturn,omitempty"`
	Outcomes []outcomeRec     `json:"outcomes,omitempty"`
	Effects  []effectRec      `json:"effects,omitempty"`
	Requires []ctxRec         `json:"requires,omitempty"`
	Writes   map[int][]string `json:"writes,omitempty"`
	Calls    []callRec        `json:"calls,omitempty"`
	// Failed: the analysis gave up on the function; callers treat it as
	// unknown.
	Failed bool `json:"failed,omitempty"`
	// Conds are the preprocessor conditions around the definition
	// (cparse.Func.Conds): a configuration chooses among variants by them.
	Conds []preCondRec `json:"conds,omitempty"`
	// Pred is, for a predicate (predicate.go), the test it returns: a
	// caller's branch on the call is that test on its arguments.
	Pred string `json:"pred,omitempty"`
}

// preCondRec is a cparse.PreCond: its atom's text and value.
type preCondRec struct {
	Key string `json:"key"`
	Val bool   `json:"val"`
}

type ctxRec struct {
	Kind       string   `json:"kind"`
	Class      string   `json:"class,omitempty"`
	Inst       string   `json:"inst,omitempty"`
	Expr       string   `json:"expr,omitempty"`
	Sub        int      `json:"sub,omitempty"`
	SubParam   string   `json:"sub_param,omitempty"`
	Try        bool     `json:"try,omitempty"`
	FromCaller bool     `json:"from_caller,omitempty"`
	Via        []Step   `json:"via,omitempty"`
	Flags      []string `json:"flags,omitempty"`
	SavedIn    string   `json:"saved_in,omitempty"`
}

type callRec struct {
	Fn    string      `json:"fn"`
	File  string      `json:"file,omitempty"`
	Ops   string      `json:"ops,omitempty"`
	Line  int         `json:"line"`
	Inner []ctxRec    `json:"inner,omitempty"`
	Gfp   map[int]int `json:"gfp,omitempty"`
	Facts []factRec   `json:"facts,omitempty"`
	// ArgsAct is Call.ArgsAct.
	ArgsAct bool `json:"args_act,omitempty"`
	// Args are Call.Args, as text ("" for an argument not recorded).
	Args []string `json:"args,omitempty"`
	// OpsParam is Call.OpsParam.
	OpsParam int `json:"ops_param,omitempty"`
	// Asserted is Call.Asserted.
	Asserted []ctxRec `json:"asserted,omitempty"`
	// Unheld is Call.Unheld.
	Unheld []ctxRec `json:"unheld,omitempty"`
	// OpsStore is Call.OpsStore.
	OpsStore string `json:"ops_store,omitempty"`
}

type factRec struct {
	Key    string   `json:"key"`
	Val    bool     `json:"val"`
	Idents []string `json:"idents,omitempty"`
	Expr   string   `json:"expr,omitempty"`
	Class  RetClass `json:"class,omitempty"`
	Const  bool     `json:"const,omitempty"`
}

type outcomeRec struct {
	Acquired []ctxRec  `json:"acquired,omitempty"`
	Released []ctxRec  `json:"released,omitempty"`
	Maybe    []ctxRec  `json:"maybe,omitempty"`
	Ret      RetClass  `json:"ret"`
	Facts    []factRec `json:"facts,omitempty"`
	Line     int       `json:"line"`
}

type effectRec struct {
	Kind     EffKind  `json:"kind"`
	Ctx      *ctxRec  `json:"ctx,omitempty"`
	What     string   `json:"what,omitempty"`
	GfpParam int      `json:"gfp_param"`
	Blocks   bool     `json:"blocks,omitempty"`
	Sleeps   bool     `json:"sleeps,omitempty"`
	Frees    bool     `json:"frees,omitempty"`
	Unless   []string `json:"unless,omitempty"`
	ModeAlt  bool     `json:"mode_alt,omitempty"`
	OpsArg   int      `json:"ops_arg,omitempty"`
	FnParam  int      `json:"fn_param,omitempty"`
	RegFn    int      `json:"reg_fn,omitempty"`
	RegItem  int      `json:"reg_item,omitempty"`
	Runs     string   `json:"runs,omitempty"`
	Member   string   `json:"member,omitempty"`
	OpsVar   string   `json:"ops_var,omitempty"`
	// OpsStore and OpsStoreVar are Effect's.
	OpsStore    string    `json:"ops_store,omitempty"`
	OpsStoreVar string    `json:"ops_store_var,omitempty"`
	Wait        string    `json:"wait,omitempty"`
	Item        string    `json:"item,omitempty"`
	Queue       string    `json:"queue,omitempty"`
	Fn          string    `json:"fn,omitempty"`
	Inner       []ctxRec  `json:"inner,omitempty"`
	Chain       []Step    `json:"chain,omitempty"`
	Prev        *Step     `json:"prev,omitempty"`
	Drops       *ctxRec   `json:"drops,omitempty"`
	Unheld      []ctxRec  `json:"unheld,omitempty"`
	Facts       []factRec `json:"facts,omitempty"`
}

// Record makes the record of an analysed function.
func Record(fi *FuncInfo) *FuncRecord {
	f := fi.F
	r := &FuncRecord{Name: f.Name, Line: f.Line, Static: f.Static, Macro: f.Macro, Ret: f.Ret, Params: f.Params}
	for _, c := range f.Conds {
		if c.Atom != nil {
			r.Conds = append(r.Conds, preCondRec{Key: c.Atom.Name, Val: c.Val})
		}
	}
	if f.File != nil {
		r.File = f.File.Path
	}
	if x := predicateBody(f); x != nil && !x.Larger(maxFactNodes) {
		r.Pred = x.String()
	}
	if fi.Result == nil || fi.Result.Failed || fi.Sum == nil {
		r.Failed = true
		return r
	}
	s := fi.Sum
	r.NoReturn = s.NoReturn
	r.Writes = s.Writes
	for _, o := range s.Outcomes {
		r.Outcomes = append(r.Outcomes, outcomeRec{Acquired: ctxRecs(o.Acquired), Released: ctxRecs(o.Released),
			Maybe: ctxRecs(o.Maybe), Ret: o.Ret, Facts: factRecs(o.Conds), Line: o.Line})
	}
	for _, e := range s.Effects {
		r.Effects = append(r.Effects, effectRec{Kind: e.Kind, Ctx: ctxRecPtr(e.Ctx), What: e.What, GfpParam: e.GfpParam,
			Blocks: e.Blocks, Sleeps: e.Sleeps, Frees: e.Frees, Unless: e.Unless, ModeAlt: e.ModeAlt, OpsArg: e.OpsArg, OpsVar: e.OpsVar, OpsStore: e.OpsStore, OpsStoreVar: e.OpsStoreVar, FnParam: e.FnParam, RegFn: e.RegFn, RegItem: e.RegItem, Runs: e.Runs, Member: e.Member, Wait: e.Wait, Item: e.Item, Queue: e.Queue, Fn: e.Fn,
			Inner: ctxRecs(e.Inner), Chain: e.Chain, Prev: e.Prev, Drops: ctxRecPtr(e.Drops), Unheld: ctxRecs(e.Unheld),
			Facts: factRecs(e.Conds)})
	}
	r.Requires = ctxRecs(s.Requires)
	r.Locals = namedLocals(f, s)
	for _, c := range fi.Result.Calls {
		r.Calls = append(r.Calls, callRec{Fn: c.Fn, File: c.File, Ops: c.Ops, Line: c.Line, Inner: ctxRecs(c.Inner), Gfp: c.Gfp,
			Facts: factRecs(c.Conds), ArgsAct: c.ArgsAct, Args: argTexts(c.Args), OpsParam: c.OpsParam, Asserted: ctxRecs(c.Asserted), Unheld: ctxRecs(c.Unheld), OpsStore: c.OpsStore})
	}
	return r
}

// namedLocals lists the locals of f that the summary's lock expressions
// and conditions mention, sorted.
func namedLocals(f *cparse.Func, s *Summary) []string {
	seen := map[string]bool{}
	visit := func(x *cparse.Expr) {
		x.Walk(func(e *cparse.Expr) bool {
			if e.Kind == cparse.EIdent {
				if _, ok := f.Locals[e.Name]; ok {
					seen[e.Name] = true
				}
			}
			return true
		})
	}
	ctxs := func(cs ...*Ctx) {
		for _, c := range cs {
			if c != nil {
				visit(c.Expr)
			}
		}
	}
	facts := func(fs []Cond) {
		for i := range fs {
			visit(fs[i].Expr)
		}
	}
	for _, o := range s.Outcomes {
		ctxs(o.Acquired...)
		ctxs(o.Released...)
		ctxs(o.Maybe...)
		facts(o.Conds)
	}
	for _, e := range s.Effects {
		ctxs(e.Ctx, e.Drops)
		ctxs(e.Unheld...)
		ctxs(e.Inner...)
		facts(e.Conds)
	}
	ctxs(s.Requires...)
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func ctxRecs(cs []*Ctx) []ctxRec {
	var out []ctxRec
	for _, c := range cs {
		out = append(out, *ctxRecPtr(c))
	}
	return out
}

func ctxRecPtr(c *Ctx) *ctxRec {
	if c == nil {
		return nil
	}
	r := &ctxRec{Kind: c.Kind.Name, Class: c.Class, Inst: c.Inst, Sub: c.Sub, SubParam: c.SubParam, Try: c.Try, FromCaller: c.FromCaller,
		Via: c.Via.Steps(), Flags: c.Flags, SavedIn: c.SavedIn}
	if c.Expr != nil {
		r.Expr = c.Expr.String()
	}
	return r
}

func factRecs(fs []Cond) []factRec {
	var out []factRec
	for _, f := range fs {
		r := factRec{Key: f.Key, Val: f.Val, Idents: f.Idents, Class: f.Class, Const: f.Const}
		if f.Expr != nil {
			r.Expr = f.Expr.String()
		}
		out = append(out, r)
	}
	return out
}

// MarshalRecord encodes a record.
func MarshalRecord(r *FuncRecord) ([]byte, error) { return json.Marshal(r) }

// UnmarshalRecord decodes a record stored by MarshalRecord.
func UnmarshalRecord(data []byte) (*FuncRecord, error) {
	var r FuncRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("function record: %w", err)
	}
	if r.Name == "" {
		return nil, fmt.Errorf("function record without a name")
	}
	return &r, nil
}

// FuncInfo rebuilds a callable function from its record: a signature
// without a body, and the summary. Kinds are looked up in k; a kind k does
// not know (a record from another knowledge base) is an error.
func (r *FuncRecord) FuncInfo(k *kb.KB) (*FuncInfo, error) {
	d := &decoder{k: k, types: dialectTypes{k.Dialect()}}
	f := &cparse.Func{Name: r.Name, File: &cparse.File{Path: r.File}, Line: r.Line, Static: r.Static, Macro: r.Macro, Ret: r.Ret,
		Params: r.Params, Locals: map[string]cparse.Type{}}
	for _, n := range r.Locals {
		f.Locals[n] = cparse.Type{}
	}
	for _, c := range r.Conds {
		f.Conds = append(f.Conds, cparse.PreCond{Atom: &cparse.Expr{Kind: cparse.EIdent, Name: c.Key}, Val: c.Val})
	}
	fi := &FuncInfo{F: f, Result: &FuncResult{Failed: r.Failed}}
	if r.Pred != "" {
		// A test that does not parse back only loses the predicate.
		if x := cparse.ParseExpr([]byte(r.Pred), 0, len(r.Pred), d.types); x != nil {
			fi.pred = Canon(x)
		}
	}
	if r.Failed {
		fi.Sum = &Summary{}
		return fi, nil
	}
	s := &Summary{NoReturn: r.NoReturn, Writes: r.Writes}
	for _, o := range r.Outcomes {
		s.Outcomes = append(s.Outcomes, &Outcome{Acquired: d.ctxs(o.Acquired), Released: d.ctxs(o.Released),
			Maybe: d.ctxs(o.Maybe), Ret: o.Ret, Conds: d.facts(o.Facts), Line: o.Line})
	}
	for _, e := range r.Effects {
		s.Effects = append(s.Effects, &Effect{Kind: e.Kind, Ctx: d.ctx(e.Ctx), What: e.What, GfpParam: e.GfpParam,
			Blocks: e.Blocks, Sleeps: e.Sleeps, Frees: e.Frees, Unless: e.Unless, ModeAlt: e.ModeAlt, OpsArg: e.OpsArg, OpsVar: e.OpsVar, OpsStore: e.OpsStore, OpsStoreVar: e.OpsStoreVar, FnParam: e.FnParam, RegFn: e.RegFn, RegItem: e.RegItem, Runs: e.Runs, Member: e.Member, Wait: e.Wait, Item: e.Item, Queue: e.Queue, Fn: e.Fn,
			Inner: d.ctxs(e.Inner), Chain: e.Chain, Prev: e.Prev, Drops: d.ctx(e.Drops), Unheld: d.ctxs(e.Unheld),
			Conds: d.facts(e.Facts)})
	}
	s.Requires = d.ctxs(r.Requires)
	for _, c := range r.Calls {
		fi.Result.Calls = append(fi.Result.Calls, &Call{Fn: c.Fn, File: c.File, Ops: c.Ops, Line: c.Line, Inner: d.ctxs(c.Inner),
			Gfp: c.Gfp, Conds: d.facts(c.Facts), ArgsAct: c.ArgsAct, Args: d.args(c.Args), OpsParam: c.OpsParam, Asserted: d.ctxs(c.Asserted), Unheld: d.ctxs(c.Unheld), OpsStore: c.OpsStore})
	}
	if d.err != nil {
		return nil, fmt.Errorf("function record %s (%s:%d): %w", r.Name, r.File, r.Line, d.err)
	}
	s.freeze()
	fi.Sum = s
	return fi, nil
}

type decoder struct {
	k     *kb.KB
	types cparse.TypeNames
	err   error
}

type dialectTypes struct{ d *cparse.Dialect }

func (t dialectTypes) IsType(name string) bool { return t.d.TypeNames[name] }

func (d *decoder) expr(s string) *cparse.Expr {
	if s == "" {
		return nil
	}
	x := cparse.ParseExpr([]byte(s), 0, len(s), d.types)
	if x == nil {
		if d.err == nil {
			d.err = fmt.Errorf("bad expression %q", s)
		}
		return nil
	}
	return Canon(x)
}

func (d *decoder) ctx(r *ctxRec) *Ctx {
	if r == nil {
		return nil
	}
	kind := d.k.Kinds[r.Kind]
	if kind == nil {
		if d.err == nil {
			d.err = fmt.Errorf("unknown context kind %q", r.Kind)
		}
		return nil
	}
	c := &Ctx{Kind: kind, Class: r.Class, Inst: r.Inst, Expr: d.expr(r.Expr), Sub: r.Sub, SubParam: r.SubParam, Try: r.Try,
		FromCaller: r.FromCaller, Flags: r.Flags, SavedIn: r.SavedIn}
	for i := len(r.Via) - 1; i >= 0; i-- {
		if c.Via == nil {
			c.Via = NewPath(r.Via[i])
		} else {
			c.Via = c.Via.Push(r.Via[i])
		}
	}
	return c
}

func (d *decoder) ctxs(rs []ctxRec) []*Ctx {
	var out []*Ctx
	for i := range rs {
		if c := d.ctx(&rs[i]); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// argTexts writes a call's recorded arguments; none recorded is no list.
func argTexts(xs []*cparse.Expr) []string {
	var out []string
	for i, x := range xs {
		if x == nil {
			continue
		}
		if out == nil {
			out = make([]string, len(xs))
		}
		out[i] = x.String()
	}
	return out
}

func (d *decoder) args(ss []string) []*cparse.Expr {
	if len(ss) == 0 {
		return nil
	}
	out := make([]*cparse.Expr, len(ss))
	for i, s := range ss {
		if s != "" {
			out[i] = d.expr(s)
		}
	}
	return out
}

func (d *decoder) facts(rs []factRec) []Cond {
	var out []Cond
	for _, r := range rs {
		out = append(out, Cond{Key: r.Key, Val: r.Val, Idents: r.Idents, Expr: d.expr(r.Expr), Class: r.Class, Const: r.Const})
	}
	return out
}

// Relocate rewrites the file names of a record through rel (absolute
// paths to the tree-relative ones an index keeps), in its chains too.
func (r *FuncRecord) Relocate(rel func(string) string) {
	r.File = rel(r.File)
	steps := func(ss []Step) {
		for i := range ss {
			ss[i].File = rel(ss[i].File)
		}
	}
	ctx := func(c *ctxRec) {
		if c != nil {
			steps(c.Via)
		}
	}
	ctxs := func(cs []ctxRec) {
		for i := range cs {
			ctx(&cs[i])
		}
	}
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		ctxs(o.Acquired)
		ctxs(o.Released)
		ctxs(o.Maybe)
	}
	for i := range r.Effects {
		e := &r.Effects[i]
		ctx(e.Ctx)
		ctx(e.Drops)
		ctxs(e.Inner)
		ctxs(e.Unheld)
		e.Chain = append([]Step(nil), e.Chain...)
		steps(e.Chain)
		if e.Prev != nil {
			p := *e.Prev
			p.File = rel(p.File)
			e.Prev = &p
		}
	}
	ctxs(r.Requires)
	for i := range r.Calls {
		c := &r.Calls[i]
		if c.File != "" {
			c.File = rel(c.File)
		}
		ctxs(c.Inner)
	}
}
