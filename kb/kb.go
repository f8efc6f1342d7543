// SPDX-License-Identifier: GPL-2.0-only

// Package kb loads the knowledge base of kernel primitives (rules.yaml):
// which calls take and release which kinds of context, which may sleep,
// which allocate and with which gfp argument, which wait for what, and the
// macros the C parser must know about.
package kb

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"lockbot"
	"lockbot/cparse"
)

// Category is how a context constrains what runs inside it.
type Category string

const (
	Sleeping Category = "sleeping" // may sleep inside (mutex, rwsem, srcu)
	Spinning Category = "spinning" // must not sleep; preemptible on PREEMPT_RT
	Atomic   Category = "atomic"   // truly atomic, also on PREEMPT_RT
	None     Category = "none"     // constrains nothing by itself
)

// Kind is a kind of context: a lock type or a disabled-preemption,
// disabled-interrupt or RCU read-side section.
type Kind struct {
	Name     string   `yaml:"-"`
	Category Category `yaml:"category"`
	// RCU marks RCU read-side sections (SLEEP_IN_RCU).
	RCU bool `yaml:"rcu"`
	// Lock marks kinds with an identity (a lock object): they take part in
	// lock-order and double-lock checks.
	Lock bool `yaml:"lock"`
	// Recursive kinds nest in themselves legally (rcu_read_lock, read_lock).
	Recursive bool `yaml:"recursive"`
	// RTSleeps marks spinning kinds that become sleeping locks on
	// PREEMPT_RT (spinlock_t, rwlock_t, local_lock).
	RTSleeps bool `yaml:"rt_sleeps"`
	// PreemptOff marks kinds that disable preemption on a non-RT kernel.
	PreemptOff bool `yaml:"preempt_off"`
	// NoOrder kinds take no part in lock order (SRCU readers never block
	// one another or a writer).
	NoOrder bool `yaml:"no_order"`
	// EntryNeverSleeps marks sleeping kinds whose acquisition never waits
	// (srcu_read_lock() only bumps a per-CPU counter): entering one is
	// allowed under a spinlock, though sleeping inside it is not.
	EntryNeverSleeps bool `yaml:"entry_never_sleeps"`
	// Implies names kinds this one enters too: kmap_atomic() disables
	// page faults as pagefault_disable() does.
	Implies []string `yaml:"implies"`
	// ByAction marks callback contexts whose callers choose, by the
	// callback's second argument, what the callback does there: a path of
	// the callback that tests that argument is one some callers of the
	// chain may never take (switchdev's atomic chain never sends
	// SWITCHDEV_PORT_ATTR_SET, its blocking chain does), and the context
	// is not counted on it.
	ByAction bool `yaml:"by_action"`
	// Types are the C types of the lock object, to find the kind of a lock
	// named in __must_hold or lockdep_assert_held.
	Types []string `yaml:"types"`
	// Desc names the context in messages ("spinlock_t", "the bit spinlock").
	Desc string `yaml:"desc"`
	// Note explains the context in a chain line.
	Note string `yaml:"note"`
	Src  string `yaml:"src"`
}

// Func describes one kernel function or function-like macro.
type Func struct {
	Name string `yaml:"-"`
	// Acquire, Release and Try name the kind the call takes, releases or
	// tries to take. A call with both Release and Acquire converts one into
	// the other (downgrade_write).
	Acquire string `yaml:"acquire"`
	Release string `yaml:"release"`
	Try     string `yaml:"try"`
	// Success is the return value of a successful Try: "nonzero"
	// (spin_trylock) or "zero" (mutex_lock_interruptible, down_trylock).
	Success string `yaml:"success"`
	// Lock is the argument that is the lock object (negative: counted
	// from the end, -1 the last, for APIs whose leading arguments changed
	// between releases), or LockExpr a template of it over the arguments
	// ($0, $1, ...): "&$0->alloc_lock".
	Lock     *int   `yaml:"lock"`
	LockExpr string `yaml:"lock_expr"`
	// Subclass is the lockdep subclass argument of *_nested variants.
	Subclass *int `yaml:"subclass"`
	// IrqFlags is the argument the interrupt state is saved in
	// (local_irq_save(flags), spin_lock_irqsave(lock, flags)) or restored
	// from (local_irq_restore(flags), spin_unlock_irqrestore(lock, flags)):
	// a restore ends the section the save began, and every interrupts-off
	// section begun after it, whatever released them.
	IrqFlags *int `yaml:"irq_flags"`
	Read     bool `yaml:"read"`
	// Sleeps: the call may sleep. GFP: the argument that is a gfp mask; the
	// call then sleeps when the mask allows direct reclaim.
	Sleeps bool `yaml:"sleeps"`
	GFP    *int `yaml:"gfp"`
	// Blocks: the call waits for another party (a lock, I/O, an event),
	// which a NOWAIT request must not do.
	Blocks bool `yaml:"blocks"`
	// Alloc: the call allocates memory. Free: it frees memory, which on
	// PREEMPT_RT takes the allocator's sleeping locks as an allocation
	// does (kfree, kmem_cache_free, free_pages).
	Alloc bool `yaml:"alloc"`
	Free  bool `yaml:"free"`
	// SleepsUnless names the kinds, separated by commas, inside which
	// the call does not sleep (copy_from_user under pagefault_disable;
	// vfree in interrupt context, where it defers the work).
	SleepsUnless string `yaml:"sleeps_unless"`
	// TrueUnder and FalseUnder make a test of the calling context
	// (preemptible(), irqs_disabled()): it is true, or false, when one of
	// these kinds is held ("preempt_off" names every kind that disables
	// preemption). A branch on it is decided by the caller's contexts.
	TrueUnder  []string `yaml:"true_under"`
	FalseUnder []string `yaml:"false_under"`
	// Drops is the lock the call releases while it sleeps, as a template
	// over the arguments ("$0" for cond_resched_lock(lock), "&$2" for
	// wait_event_lock_irq(wq, cond, lock)): it may sleep when that lock is
	// the only one held.
	Drops string `yaml:"drops"`
	// AlsoAcquire is a second kind the call enters when it succeeds
	// (pte_offset_map_lock also begins an RCU section).
	AlsoAcquire string `yaml:"also_acquire"`
	// MayRelease is a kind the call releases on some returns only
	// (handle_mm_fault() drops mmap_lock when it returns VM_FAULT_RETRY or
	// VM_FAULT_COMPLETED): afterwards the lock is neither held nor known
	// released.
	MayRelease string `yaml:"may_release"`
	// AlsoRelease is a second kind the call releases (pte_unmap_unlock ends
	// the RCU section pte_offset_map_lock began, besides the spinlock).
	AlsoRelease string `yaml:"also_release"`
	// Callback is the argument holding a function the call runs when it
	// returns nonzero (kref_put(ref, release)).
	Callback *int `yaml:"callback"`
	// LastRef: the callback runs on the last reference only. Which put
	// is the last is not known here (a get earlier on the path, or one a
	// caller holds, makes it not), so the callback's locks are followed
	// (a release that unlocks) but its sleeps, allocations and waits are
	// not blamed on the caller.
	LastRef bool `yaml:"last_ref"`
	// LastRefTest: true when this drop was the last reference
	// (refcount_dec_and_test()). What the path does when it is true is
	// the release, run by whichever put is the last: its sleeps are not
	// blamed on a put under a lock, as with LastRef.
	LastRefTest bool `yaml:"last_ref_test"`
	// Asserts: a macro that stops the path when its condition holds
	// (BUG_ON, VM_BUG_ON), or, written as a statement, one whose
	// condition the author asserts cannot hold (WARN_ON).
	Asserts bool `yaml:"asserts"`
	// Lazy are macro arguments not evaluated where the macro is written
	// (wait_event_lock_irq_cmd's cmd runs with the lock dropped).
	Lazy []int `yaml:"lazy"`
	// After are macro arguments evaluated after the macro's own work
	// (wait_event_cmd's cmd2 runs after the sleep).
	After []int `yaml:"after"`
	// GFPTest: the call tests whether that gfp argument allows blocking.
	GFPTest *int `yaml:"gfp_test"`
	// NofailBlocking: with a gfp mask that allows direct reclaim the
	// allocation never fails (mempool_alloc, bio_alloc_bioset).
	NofailBlocking bool `yaml:"nofail_blocking"`
	// Wait is what the call waits for: "rcu", "srcu" (the Lock argument),
	// "work" (the Item argument), "queue" (the Queue argument).
	Wait  string `yaml:"wait"`
	Item  *int   `yaml:"item"`
	Queue *int   `yaml:"queue"`
	// Register: the call registers callback Fn for Item ("work").
	// Enqueue: the call queues Item on Queue.
	Register string `yaml:"register"`
	Fn       *int   `yaml:"fn"`
	Enqueue  bool   `yaml:"enqueue"`
	// RunsIn is the context the callback Fn runs in, a kind
	// ("softirq" for timer_setup, call_rcu and tasklets, "hardirq" for
	// request_irq's handler): what it does is done with that kind held.
	RunsIn string `yaml:"runs_in"`
	// FnMember: the callback is not an argument but is stored in this
	// member of the Item argument's object next to the call
	// ("hrtimer_init(&t, ...); t.function = cb;").
	FnMember string `yaml:"fn_member"`
	// Mode is the argument choosing how the callback runs; with a mode
	// naming HARD (HRTIMER_MODE_REL_HARD) it runs in RunsInHard, a
	// context that stays atomic on PREEMPT_RT.
	Mode       *int   `yaml:"mode"`
	RunsInHard string `yaml:"runs_in_hard"`
	// GFPFrom: the call returns a gfp mask derived from that argument.
	GFPFrom *int `yaml:"gfp_from"`
	// Assert: the call states a context is held by the caller: "held"
	// (the Lock argument) or a kind name (preempt, irq); "not_held"
	// states the Lock argument is not held.
	Assert   string `yaml:"assert"`
	NoReturn bool   `yaml:"noreturn"`
	// SeqWrite: the call begins (or with Release ends) a seqcount write
	// section on the Lock argument.
	SeqWrite bool `yaml:"seq_write"`
	// TypeArg: the macro evaluates to a pointer to the type named by that
	// argument (container_of, list_first_entry).
	TypeArg *int `yaml:"type_arg"`
	// Class fixes the lock class when the helper always takes one lock.
	Class string `yaml:"class"`
	// ErrTest: the macro tests a pointer for an error value: "err" for
	// IS_ERR, "err_or_null" for IS_ERR_OR_NULL.
	ErrTest string `yaml:"err_test"`
	// Pure: the call's value does not change within one function run
	// (static_branch_unlikely(), in_interrupt()), so two tests of it agree.
	Pure bool `yaml:"pure"`
	// ContextRelease: sparse's __release(x), which tells a checker that x
	// is not held from here on (it is handed on, or kept on purpose: the
	// lkdtm handler that exits holding its lock): the held lock x names,
	// of whatever kind, is dropped without a release being checked.
	ContextRelease bool   `yaml:"context_release"`
	Src            string `yaml:"src"`
}

// Guard is a guard class usable with guard() and scoped_guard().
type Guard struct {
	Name   string `yaml:"-"`
	Lock   string `yaml:"lock"`
	Unlock string `yaml:"unlock"`
	Src    string `yaml:"src"`
}

// GFPEffect is what a gfp flag says about sleeping.
type GFPEffect string

const (
	GFPBlocking    GFPEffect = "blocking"    // allows direct reclaim
	GFPNonblocking GFPEffect = "nonblocking" // a complete mask that does not
	GFPModifier    GFPEffect = "modifier"    // changes nothing about sleeping
	GFPReclaim     GFPEffect = "reclaim"     // the reclaim bits themselves
)

// Syntax is what the parser must know about kernel C macros.
type Syntax struct {
	Attributes         []string          `yaml:"attributes"`
	AttributesWithArgs []string          `yaml:"attributes_with_args"`
	Annotations        map[string]string `yaml:"annotations"`
	BlockMacros        []string          `yaml:"block_macros"`
	Types              []string          `yaml:"types"`
	Definers           map[string]string `yaml:"definers"`
	Transparent        []string          `yaml:"transparent"`
	Generators         []string          `yaml:"generators"`
	// GuardDefiners are the macros that define a guard class in a file,
	// and where their lock and unlock calls are among the arguments:
	// DEFINE_GUARD(name, type, lock, unlock): {lock: 2, unlock: 3}.
	GuardDefiners map[string]cparse.GuardDefiner `yaml:"guard_definers"`
	// PassThrough are macros whose value is one of their arguments:
	// __cond_lock(x, c) is c.
	PassThrough map[string]int `yaml:"pass_through"`
}

// KB is the loaded knowledge base.
type KB struct {
	Kinds  map[string]*Kind  `yaml:"kinds"`
	Funcs  map[string]*Func  `yaml:"functions"`
	Guards map[string]*Guard `yaml:"guards"`
	GFP    map[string]GFPEffect
	// Nowait are the flags that mark a request as NOWAIT.
	Nowait []string `yaml:"nowait"`
	// RTConfig are the configuration symbols of PREEMPT_RT: a path where
	// they are off is not subject to RT-only rules.
	RTConfig []string `yaml:"rt_config"`
	// BootOnly maps a condition to the value it has only before the
	// scheduler runs: no rule reports what a path taken then does.
	BootOnly map[string]bool `yaml:"boot_only"`
	// NoOrderClasses are lock classes lockdep does not validate
	// (lockdep_set_novalidate_class): many instances nest in every order
	// by design, so no order of theirs is reported.
	NoOrderClasses []string `yaml:"no_order_classes"`
	// BootFunctions run before the scheduler, on the boot CPU with
	// interrupts off by design (start_kernel): no rule reports what their
	// paths do, as with BootOnly's conditions.
	BootFunctions []string `yaml:"boot_functions"`
	// LockInits initialise a lock, each call site with a lock class of
	// its own (a static lock_class_key per site: mutex_init(),
	// spin_lock_init()...).
	LockInits []string `yaml:"lock_inits"`
	// CrashFunctions run once the kernel has decided to stop (vpanic()):
	// lockdep is off, the other CPUs are stopped and the console's locks
	// are only tried; no rule reports what their paths do.
	CrashFunctions []string `yaml:"crash_functions"`
	// Deliberate is code that breaks the locking rules on purpose
	// (lockdep's self-tests, lockup and torture tests): its findings are
	// left out unless asked for.
	Deliberate []Deliberate `yaml:"deliberate"`
	Syntax     Syntax       `yaml:"syntax"`
	// OpsContexts are the contexts the kernel calls the members of an
	// ops structure in, by the structure's tag ("struct irq_chip").
	OpsContexts map[string]*OpsContext `yaml:"ops_contexts"`

	kindByType map[string]*Kind
	// lockGlobals are the global locks functions' lock_expr name.
	lockGlobals map[string]bool
	// dialect is what the parser needs of the knowledge base, made once:
	// a KB does not change after Load, and every parse asks for it.
	dialect *cparse.Dialect
	// hash digests the files loaded, in order.
	hash hash.Hash
	// extra are the files loaded over the built-in knowledge base, kept
	// for Extend: a few KB of YAML.
	extra []source
}

type file struct {
	Kinds     map[string]*Kind     `yaml:"kinds"`
	Functions map[string]*Func     `yaml:"functions"`
	Guards    map[string]*Guard    `yaml:"guards"`
	GFP       map[string]GFPEffect `yaml:"gfp"`
	Nowait    []string             `yaml:"nowait"`
	RTConfig  []string             `yaml:"rt_config"`
	BootOnly  map[string]bool      `yaml:"boot_only"`
	// NoOrderClasses: see KB.NoOrderClasses.
	NoOrderClasses []string `yaml:"no_order_classes"`
	// BootFunctions: see KB.BootFunctions.
	BootFunctions []string `yaml:"boot_functions"`
	// CrashFunctions: see KB.CrashFunctions.
	CrashFunctions []string `yaml:"crash_functions"`
	// LockInits: see KB.LockInits.
	LockInits []string `yaml:"lock_inits"`
	// Deliberate: see KB.Deliberate.
	Deliberate []Deliberate `yaml:"deliberate"`
	Syntax     Syntax       `yaml:"syntax"`
	// OpsContexts: see KB.OpsContexts.
	OpsContexts map[string]*OpsContext `yaml:"ops_contexts"`
}

// LockGlobals returns the global locks the functions' lock_expr name
// ("&rtnl_mutex"): real kernel objects, whatever file declares them.
func (k *KB) LockGlobals() map[string]bool { return k.lockGlobals }

// Deliberate names files that break the locking rules on purpose: Path
// is a tree-relative path or a path.Match pattern over as many trailing
// components ("kernel/*torture.c").
type Deliberate struct {
	Path string `yaml:"path"`
	Why  string `yaml:"why"`
	Src  string `yaml:"src"`
}

// IsDeliberate reports whether a file (tree-relative, or a path ending in
// one) breaks the rules on purpose, and why.
func (k *KB) IsDeliberate(file string) (string, bool) {
	file = filepath.ToSlash(file)
	parts := strings.Split(file, "/")
	for _, d := range k.Deliberate {
		n := strings.Count(d.Path, "/") + 1
		if n > len(parts) {
			continue
		}
		if ok, _ := path.Match(d.Path, strings.Join(parts[len(parts)-n:], "/")); ok {
			return d.Why, true
		}
	}
	return "", false
}

// OpsContext says that the kernel calls the Members of an ops structure
// with a context of Kind held: irq_chip's callbacks run under the raw
// irq_desc lock. Why says so in a chain.
type OpsContext struct {
	Kind    string   `yaml:"kind"`
	Members []string `yaml:"members"`
	Why     string   `yaml:"why"`
	Src     string   `yaml:"src"`
	// WhenNull is the argument (0-based) the core passes NULL exactly
	// when it calls the member in Kind: the RCU path walk calls
	// ->get_link() with a NULL dentry. A path of the callback that found
	// the argument non-NULL is out of that context. nil: always in it.
	WhenNull *int `yaml:"when_null"`
}

// Load reads the embedded knowledge base and then each extra file (a path
// of this machine), whose entries add to it or replace entries of the same
// name.
func Load(extra ...string) (*KB, error) {
	files := make([]source, 0, len(extra))
	for _, p := range extra {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		files = append(files, source{name: p, data: data})
	}
	return load(files)
}

// LoadFS is Load with the extra files read from fsys: a tree that is not a
// directory of this machine, such as the commit whose .lockbot.yaml names
// them. names are slash paths in fsys, and errors name the files so.
func LoadFS(fsys fs.FS, names ...string) (*KB, error) {
	files, err := readFS(fsys, names)
	if err != nil {
		return nil, err
	}
	return load(files)
}

// Extend returns a new knowledge base: k's files and then the named files
// of fsys over the built-in one, as if loaded together (the same Hash).
// k is unchanged: the GitHub App and the mail responder extend the
// server's knowledge base with a reviewed tree's kb files, review by
// review.
func (k *KB) Extend(fsys fs.FS, names ...string) (*KB, error) {
	files, err := readFS(fsys, names)
	if err != nil {
		return nil, err
	}
	return load(append(slices.Clone(k.extra), files...))
}

// source is an extra knowledge-base file: the name errors give it, and its
// content.
type source struct {
	name string
	data []byte
}

func readFS(fsys fs.FS, names []string) ([]source, error) {
	files := make([]source, 0, len(names))
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		files = append(files, source{name: n, data: data})
	}
	return files, nil
}

// load merges the extra files, in order, over the built-in knowledge base.
func load(extra []source) (*KB, error) {
	k := &KB{Kinds: map[string]*Kind{}, Funcs: map[string]*Func{}, Guards: map[string]*Guard{}, GFP: map[string]GFPEffect{},
		hash: sha256.New(), extra: extra}
	if err := k.merge("rules.yaml (built in)", lockbot.RulesYAML); err != nil {
		return nil, err
	}
	for _, f := range extra {
		if err := k.merge(f.name, f.data); err != nil {
			return nil, err
		}
	}
	if err := k.check(); err != nil {
		return nil, err
	}
	k.dialect = k.makeDialect()
	return k, nil
}

// MustDefault loads the built-in knowledge base; it panics only if the
// embedded file is broken, which the tests rule out.
func MustDefault() *KB {
	k, err := Load()
	if err != nil {
		panic(err)
	}
	return k
}

// Hash identifies the knowledge base's content: summaries stored with
// one knowledge base mean something else under another.
func (k *KB) Hash() string {
	if k.hash == nil {
		return ""
	}
	return hex.EncodeToString(k.hash.Sum(nil))
}

func (k *KB) merge(name string, data []byte) error {
	if k.hash != nil {
		fmt.Fprintf(k.hash, "%d\x00", len(data))
		k.hash.Write(data)
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("knowledge base %s: %w", name, err)
	}
	for n, v := range f.Kinds {
		v.Name = n
		k.Kinds[n] = v
	}
	for n, v := range f.Functions {
		if v == nil {
			return fmt.Errorf("knowledge base %s: function %s has no fields", name, n)
		}
		v.Name = n
		k.Funcs[n] = v
	}
	for n, v := range f.Guards {
		v.Name = n
		k.Guards[n] = v
	}
	for n, v := range f.GFP {
		k.GFP[n] = v
	}
	k.Nowait = append(k.Nowait, f.Nowait...)
	k.RTConfig = append(k.RTConfig, f.RTConfig...)
	for n, v := range f.OpsContexts {
		if k.OpsContexts == nil {
			k.OpsContexts = map[string]*OpsContext{}
		}
		k.OpsContexts[n] = v
	}
	k.BootFunctions = append(k.BootFunctions, f.BootFunctions...)
	k.CrashFunctions = append(k.CrashFunctions, f.CrashFunctions...)
	k.LockInits = append(k.LockInits, f.LockInits...)
	k.Deliberate = append(k.Deliberate, f.Deliberate...)
	k.NoOrderClasses = append(k.NoOrderClasses, f.NoOrderClasses...)
	for c, v := range f.BootOnly {
		if k.BootOnly == nil {
			k.BootOnly = map[string]bool{}
		}
		k.BootOnly[c] = v
	}
	s := &k.Syntax
	s.Attributes = append(s.Attributes, f.Syntax.Attributes...)
	s.AttributesWithArgs = append(s.AttributesWithArgs, f.Syntax.AttributesWithArgs...)
	s.BlockMacros = append(s.BlockMacros, f.Syntax.BlockMacros...)
	s.Types = append(s.Types, f.Syntax.Types...)
	s.Transparent = append(s.Transparent, f.Syntax.Transparent...)
	s.Generators = append(s.Generators, f.Syntax.Generators...)
	if s.GuardDefiners == nil {
		s.GuardDefiners = map[string]cparse.GuardDefiner{}
	}
	for a, b := range f.Syntax.GuardDefiners {
		s.GuardDefiners[a] = b
	}
	if s.PassThrough == nil {
		s.PassThrough = map[string]int{}
	}
	for a, b := range f.Syntax.PassThrough {
		s.PassThrough[a] = b
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	for a, b := range f.Syntax.Annotations {
		s.Annotations[a] = b
	}
	if s.Definers == nil {
		s.Definers = map[string]string{}
	}
	for a, b := range f.Syntax.Definers {
		s.Definers[a] = b
	}
	return nil
}

// Under reports whether holding c decides the context test f: its value
// and whether it is decided.
func (f *Func) Under(c *Kind) (val, decided bool) {
	match := func(names []string) bool {
		for _, n := range names {
			if n == c.Name || n == "preempt_off" && c.PreemptOff {
				return true
			}
		}
		return false
	}
	switch {
	case match(f.TrueUnder):
		return true, true
	case match(f.FalseUnder):
		return false, true
	}
	return false, false
}

// check validates cross references, so that a typo in a user's file is an
// error and not a silently ignored entry.
func (k *KB) check() error {
	var errs []string
	kind := func(fn, field, name string) {
		if name != "" && k.Kinds[name] == nil {
			errs = append(errs, fmt.Sprintf("function %s: %s: unknown kind %q", fn, field, name))
		}
	}
	k.kindByType = map[string]*Kind{}
	k.lockGlobals = map[string]bool{}
	for _, f := range k.Funcs {
		if e := strings.TrimPrefix(f.LockExpr, "&"); e != f.LockExpr && isName(e) {
			k.lockGlobals[e] = true
		}
	}
	for _, kd := range k.Kinds {
		switch kd.Category {
		case Sleeping, Spinning, Atomic, None:
		default:
			errs = append(errs, fmt.Sprintf("kind %s: category %q is not sleeping, spinning, atomic or none", kd.Name, kd.Category))
		}
		for _, t := range kd.Types {
			k.kindByType[t] = kd
		}
	}
	for _, kd := range k.Kinds {
		for _, im := range kd.Implies {
			if k.Kinds[im] == nil {
				errs = append(errs, fmt.Sprintf("kind %s: implies unknown kind %q", kd.Name, im))
			}
		}
	}
	for _, f := range k.Funcs {
		kind(f.Name, "acquire", f.Acquire)
		kind(f.Name, "release", f.Release)
		kind(f.Name, "try", f.Try)
		for _, u := range f.Unless() {
			kind(f.Name, "sleeps_unless", u)
		}
		kind(f.Name, "also_release", f.AlsoRelease)
		kind(f.Name, "may_release", f.MayRelease)
		kind(f.Name, "also_acquire", f.AlsoAcquire)
		kind(f.Name, "runs_in", f.RunsIn)
		kind(f.Name, "runs_in_hard", f.RunsInHard)
		if f.RunsIn != "" && f.Fn == nil && (f.FnMember == "" || f.Item == nil) {
			errs = append(errs, fmt.Sprintf("function %s: runs_in without fn (the argument holding the callback) or fn_member and item", f.Name))
		}
		if f.RunsInHard != "" && f.Mode == nil {
			errs = append(errs, fmt.Sprintf("function %s: runs_in_hard without mode", f.Name))
		}
		for _, n := range append(append([]string(nil), f.TrueUnder...), f.FalseUnder...) {
			if n != "preempt_off" {
				kind(f.Name, "true_under/false_under", n)
			}
		}
		if f.Assert != "" && f.Assert != "held" && f.Assert != "not_held" {
			kind(f.Name, "assert", f.Assert)
		}
		if f.Success != "" && f.Success != "zero" && f.Success != "nonzero" {
			errs = append(errs, fmt.Sprintf("function %s: success %q is not zero or nonzero", f.Name, f.Success))
		}
		switch f.Wait {
		case "", "rcu", "srcu", "work", "queue":
		default:
			errs = append(errs, fmt.Sprintf("function %s: wait %q is not rcu, srcu, work or queue", f.Name, f.Wait))
		}
		if f.Src == "" {
			errs = append(errs, fmt.Sprintf("function %s: no src (the header or file it comes from)", f.Name))
		}
		if f.LockExpr != "" && f.Lock != nil {
			errs = append(errs, fmt.Sprintf("function %s: both lock and lock_expr", f.Name))
		}
		if f.IrqFlags != nil && (*f.IrqFlags < 0 || f.Acquire == "" && f.Try == "" && f.Release == "") {
			errs = append(errs, fmt.Sprintf("function %s: irq_flags needs an argument index and an acquire, try or release", f.Name))
		}
	}
	for _, d := range k.Deliberate {
		if _, err := path.Match(d.Path, ""); err != nil || d.Path == "" || d.Why == "" || d.Src == "" {
			errs = append(errs, fmt.Sprintf("deliberate %q: needs a valid path pattern, why and src", d.Path))
		}
	}
	for n, o := range k.OpsContexts {
		if k.Kinds[o.Kind] == nil {
			errs = append(errs, fmt.Sprintf("ops_contexts %s: unknown kind %q", n, o.Kind))
		}
		if o.Src == "" {
			errs = append(errs, fmt.Sprintf("ops_contexts %s: no src", n))
		}
	}
	for _, g := range k.Guards {
		if k.Funcs[g.Lock] == nil || k.Funcs[g.Unlock] == nil {
			errs = append(errs, fmt.Sprintf("guard %s: lock %q or unlock %q is not a known function", g.Name, g.Lock, g.Unlock))
		}
	}
	for n, e := range k.GFP {
		switch e {
		case GFPBlocking, GFPNonblocking, GFPModifier, GFPReclaim:
		default:
			errs = append(errs, fmt.Sprintf("gfp %s: %q is not blocking, nonblocking, modifier or reclaim", n, e))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("knowledge base: %s", strings.Join(errs, "; "))
	}
	return nil
}

// KindOfType returns the kind of a lock object of C type t, or nil.
func (k *KB) KindOfType(t string) *Kind { return k.kindByType[t] }

// Dialect is what the parser needs to know of the knowledge base. The
// result is shared: callers do not change it.
func (k *KB) Dialect() *cparse.Dialect {
	if k.dialect != nil {
		return k.dialect
	}
	return k.makeDialect()
}

func (k *KB) makeDialect() *cparse.Dialect {
	set := func(l []string) map[string]bool {
		m := make(map[string]bool, len(l))
		for _, s := range l {
			m[s] = true
		}
		return m
	}
	d := &cparse.Dialect{
		Attributes:         set(k.Syntax.Attributes),
		AttributesWithArgs: set(k.Syntax.AttributesWithArgs),
		Annotations:        k.Syntax.Annotations,
		BlockMacros:        k.Syntax.BlockMacros,
		TypeNames:          set(k.Syntax.Types),
		Definers:           k.Syntax.Definers,
		Transparent:        set(k.Syntax.Transparent),
		Generators:         set(k.Syntax.Generators),
		GuardDefiners:      k.Syntax.GuardDefiners,
		PassThrough:        k.Syntax.PassThrough,
		NoReturn:           map[string]bool{},
		Lazy:               map[string][]int{},
		After:              map[string][]int{},
		BugOn:              map[string]bool{},
		LockWords:          map[string]bool{},
	}
	for n, f := range k.Funcs {
		if f.NoReturn {
			d.NoReturn[n] = true
		}
		if len(f.Lazy) > 0 {
			d.Lazy[n] = f.Lazy
		}
		if len(f.After) > 0 {
			d.After[n] = f.After
		}
		if f.Asserts {
			d.BugOn[n] = true
		}
		if f.Acquire != "" || f.Release != "" || f.Try != "" || f.Sleeps || f.Wait != "" {
			d.LockWords[n] = true
		}
	}
	return d
}

// LockIndex returns the index of the lock argument in a call with n
// arguments.
func (f *Func) LockIndex(n int) (int, bool) {
	if f.Lock == nil {
		return 0, false
	}
	i := *f.Lock
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

// Unless lists the kinds of SleepsUnless.
func (f *Func) Unless() []string {
	if f.SleepsUnless == "" {
		return nil
	}
	var out []string
	for _, k := range strings.Split(f.SleepsUnless, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// isName reports a C identifier.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
