// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"slices"
	"strings"
	"sync"

	"lockbot/cparse"
)

// Lock initialisation sites: lockdep's class of a lock is where it was
// initialised (each mutex_init() declares a static key), so two mutexes
// of one struct type embedded twice in another struct
// ("mutex_init(&ioc->ctl_cmds.mutex)", "mutex_init(&ioc->tm_cmds.mutex)")
// are two classes, and one initialised through a pointer to its own
// struct (device_initialize()'s "mutex_init(&dev->mutex)") is one class
// wherever that struct is embedded. The sites are collected from the
// analysed files and, with an index, from the tree (InitKey entries).

// InitKey is the key under which an index keeps the files that
// initialise a lock object named by its whole place (pathClass), or a
// struct a subsystem's keyed initialiser sets up (init_f2fs_rwsem()).
func InitKey(class string) string { return "lockinit " + class }

// initSites holds the analysed files' initialisation sites.
type initSites struct {
	once   sync.Once
	byFile map[string][]string
	all    map[string]bool
	memo   sync.Map // class -> bool (initQualified)
}

// collect finds the initialisation sites of the analysed functions: a
// call of a knowledge-base initialiser or of a macro that declares a
// lock_class_key, whose first argument is the address of a member of an
// embedded struct ("&ioc->ctl_cmds.mutex") or, for a subsystem's macro,
// of any member ("&sbi->cp_rwsem").
func (p *Program) collectInits() {
	t := &p.inits
	t.byFile = map[string][]string{}
	t.all = map[string]bool{}
	for _, fi := range p.Funcs {
		if fi.F.Macro {
			continue
		}
		env := typeEnv{p, fi.F}
		for _, b := range fi.F.Blocks {
			for _, st := range b.Stmts {
				if st.Kind != cparse.SCall || st.Call == nil || len(st.Call.Args) == 0 {
					continue
				}
				name := st.Call.CallName()
				keyed := p.keyedInit(name)
				if !keyed && !p.kbInit(name) {
					continue
				}
				a := st.Call.Args[0].Strip()
				if a == nil || a.Kind != cparse.EUnary || a.Op != "&" {
					continue
				}
				obj := a.X.Strip()
				if obj == nil || obj.Kind != cparse.EField {
					continue
				}
				file := fi.F.File.Path
				if ty, ok := env.typeOf(obj); keyed && ok && ty.Ptr == 0 && !ty.Array && strings.HasPrefix(ty.Base, "struct ") {
					// The wrapper's type: each instance its own class.
					t.add(file, keyedTypeKey(ty.Base))
				}
				cls := env.pathClass(obj)
				i := strings.Index(cls, "::")
				if i < 0 || !keyed && !strings.Contains(cls[i:], ".") {
					continue // a struct's own member: its class already
				}
				t.add(file, cls)
			}
		}
	}
}

// add records an initialisation site key of file.
func (t *initSites) add(file, key string) {
	t.all[key] = true
	if !slices.Contains(t.byFile[file], key) {
		t.byFile[file] = append(t.byFile[file], key)
	}
}

func (p *Program) kbInit(name string) bool {
	for _, n := range p.kb.LockInits {
		if n == name {
			return true
		}
	}
	return false
}

// keyedInit reports a function-like macro of the analysed files that
// declares a static struct lock_class_key: an initialiser whose every use
// is a class of its own (f2fs.h's init_f2fs_rwsem()).
func (p *Program) keyedInit(name string) bool {
	if name == "" || p.kbInit(name) {
		return false
	}
	for _, f := range p.Files {
		if slices.Contains(f.KeyedInits, name) {
			return true
		}
	}
	return false
}

// keyedTypeKey names, among the initialisation sites, a struct type a
// keyed initialiser sets up.
func keyedTypeKey(base string) string { return "type " + base }

// KeyedGeneric reports a class of a member of a struct whose every
// instance is a class of its own initialisation site (init_f2fs_rwsem()
// declares a key at each use): named through the struct's own pointer
// ("struct f2fs_rwsem::internal_rwsem", inside f2fs_down_write()) it is
// no one lock, and an order of it says nothing of another.
func (p *Program) KeyedGeneric(class string) bool {
	i := strings.Index(class, "::")
	if i < 0 || strings.Contains(class[i:], ".") {
		return false
	}
	return p.initSite(keyedTypeKey(class[:i]))
}

// InitSites lists the classes a file's functions initialise by their
// whole place (InitKey), for an index.
func (p *Program) InitSites(file string) []string {
	p.inits.once.Do(p.collectInits)
	return p.inits.byFile[file]
}

// initQualified reports a lock object (or a keyed initialiser's struct)
// the analysed files or the tree initialise at that place.
func (p *Program) initQualified(class string) bool {
	if !strings.Contains(class, "::") {
		return false
	}
	return p.initSite(class)
}

// initSite reports an initialisation site key (a class, or a keyed
// type) the analysed files or the index know, memoised.
func (p *Program) initSite(key string) bool {
	if v, ok := p.inits.memo.Load(key); ok {
		return v.(bool)
	}
	p.inits.once.Do(p.collectInits)
	v := p.inits.all[key]
	if !v && p.ext != nil {
		v = len(p.ext.Ops(InitKey(key))) > 0
	}
	p.inits.memo.Store(key, v)
	return v
}
