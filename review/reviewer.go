// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"lockbot/config"
	"lockbot/diff"
	"lockbot/flow"
	"lockbot/index"
	"lockbot/kb"
	"lockbot/kbuild"
	"lockbot/rules"
)

// Setup is what a Reviewer is built from: what the reviews of one
// front-end share (`lockbot check`'s flags, the App's server, the mail
// responder's kernel repository).
type Setup struct {
	// KBFiles are knowledge-base files of this machine loaded over the
	// built-in one (--kb, lore's kernel.kb).
	KBFiles []string
	// KB, when not nil, is what KBFiles load to, loaded by the caller
	// already (the App loads it once at start): Open reads no file for it
	// unless Settings names kb files, which are loaded with KBFiles.
	KB *kb.KB
	// Settings is a settings file of this machine that every review
	// follows (--config or the checkout's .lockbot.yaml, lore's
	// kernel.settings); the kb files it names join the knowledge base.
	// "" with SettingsFromBase false: the defaults.
	Settings string
	// SettingsFromBase has each review follow the .lockbot.yaml of its
	// base (Base.Settings) and the kb files it names, read from the same
	// tree. It excludes Settings.
	SettingsFromBase bool
	// OpenIndex opens the index of the tree (lockbot index) with the
	// knowledge base of KBFiles and Settings; nil, or a nil index, for
	// none. The caller decides what an index that does not open is: an
	// error returned fails Open. The Reviewer closes the index.
	OpenIndex func(*kb.KB) (*index.Index, error)
	// Kconfig is the top of a kernel tree whose Kconfig says what a
	// PREEMPT_RT build leaves out; "", or a tree without one: the RT-only
	// rules apply everywhere.
	Kconfig string
	// KconfigFile is the kernel configuration that resolves #ifdef
	// variants (kbuild.ResolveConfig): a file, "none", or "" for the
	// tree's .config or, in a kernel tree without one, Debian's x86_64
	// configuration.
	KconfigFile string
	// NoRT turns the PREEMPT_RT-only rules off whatever the settings say
	// (--no-rt).
	NoRT bool
	// All, OnlyPatch, IncludeDepth, NoCallers and Conditional are those
	// of Options. The bots leave Conditional off.
	All          bool
	OnlyPatch    int
	IncludeDepth int
	NoCallers    bool
	Conditional  bool
	Log          *slog.Logger
}

// Base is the tree a series is reviewed against.
type Base struct {
	// Tree holds the files the series applies to; nil reviews the hunks
	// alone (--no-tree).
	Tree diff.Tree
	// Label names the base in the review's summary: "base-commit
	// 3cade1f3d077", "master at 1a2b3c4d5e6f".
	Label string
	// Settings is the tree whose .lockbot.yaml a review follows when the
	// Setup says SettingsFromBase; nil: Tree. The App reads the base
	// branch's head, not the merge base, so that a pull request cannot
	// switch its own review off.
	Settings diff.Tree
	// SettingsRev names that tree in errors: "base" has them say
	// "base:.lockbot.yaml".
	SettingsRev string
}

// Outcome is a review and what it was made against.
type Outcome struct {
	Result *Result
	// Base is the Label of the base reviewed against.
	Base string
	// NoRT is set when the PREEMPT_RT-only rules were off: --no-rt, or
	// rt: false in the settings.
	NoRT bool
	// Analyzers are the rules that ran, as the settings left them.
	Analyzers []*rules.Analyzer
	// IndexUnused is why the index was not used (index.ErrStale: the
	// base's kb files make another knowledge base than the one it was
	// built with), nil when it was or when there is none.
	IndexUnused error
	// IndexErr reports records of the index found damaged, read as
	// unknown functions: the review is not what a sound index gives.
	IndexErr error
}

// SettingsError is a base's .lockbot.yaml, or a kb file it names, that
// does not load: the tree's to fix, not the reviewer's. Errors reading the
// tree are not SettingsErrors: they may pass.
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// Reviewer is the review pipeline a front-end builds once: the knowledge
// base, the settings, the PREEMPT_RT scope of the Kconfig and the index,
// which its reviews share. Its methods may be called from several
// goroutines.
type Reviewer struct {
	setup Setup
	log   *slog.Logger
	cfg   *config.Config // Setup.Settings', or the defaults
	kb    *kb.KB         // with Setup.Settings' kb files
	rt    flow.RTScope
	kc    *kbuild.Config // nil: no configuration resolves variants
	ix    *index.Index

	mu sync.Mutex
	// last is the knowledge base the last base's kb files made: a
	// mail responder reviews series after series on one branch.
	last *extendedKB
}

// extendedKB is a knowledge base extended with a base's kb files, and the
// digest of their names and contents that it was made from.
type extendedKB struct {
	key [sha256.Size]byte
	kb  *kb.KB
}

// Open loads what the reviews of a front-end share: the knowledge base,
// the settings file, the Kconfig's PREEMPT_RT scope, and the index. Close
// releases it.
func Open(s Setup) (*Reviewer, error) {
	if s.Settings != "" && s.SettingsFromBase {
		return nil, errors.New("review: a settings file and the base's own settings exclude each other")
	}
	r := &Reviewer{setup: s, log: s.Log, cfg: config.Default(), kb: s.KB}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if s.Settings != "" {
		// config.Load's errors name the file.
		cfg, err := config.Load(s.Settings, RuleNames())
		if err != nil {
			return nil, err
		}
		r.cfg = cfg
	}
	if extra := r.cfg.KBFiles(); r.kb == nil || len(extra) > 0 {
		k, err := kb.Load(append(slices.Clone(s.KBFiles), extra...)...)
		if err != nil {
			return nil, err
		}
		r.kb = k
	}
	// Reading a whole kernel's Kconfig is wasted when no RT-only rule
	// runs; a base's settings are not known yet, so they cannot say so.
	if s.Kconfig != "" && !s.NoRT && (s.SettingsFromBase || r.cfg.RT()) {
		start := time.Now()
		// kbuild matches the paths it is asked about against the
		// Makefiles' absolute ones.
		root, err := filepath.Abs(s.Kconfig)
		if err != nil {
			return nil, fmt.Errorf("review: Kconfig root %s: %w", s.Kconfig, err)
		}
		if rt, err := kbuild.LoadRT(root, "PREEMPT_RT"); err == nil {
			r.rt = kbuild.TreeRelative{RT: rt}
			r.log.Debug("Kconfig read: files a PREEMPT_RT kernel does not build are out of the RT-only rules", "root", s.Kconfig, "elapsed", time.Since(start))
		} else {
			r.log.Debug("no usable Kconfig: RT-only rules apply everywhere", "root", s.Kconfig, "err", err)
		}
	}
	if s.Kconfig != "" || s.KconfigFile != "" {
		root := ""
		if s.Kconfig != "" {
			if abs, err := filepath.Abs(s.Kconfig); err == nil {
				root = abs
			}
		}
		rt := r.rt
		kc, err := kbuild.ResolveConfig(s.KconfigFile, root, func(sym string) bool {
			return slices.Contains(r.kb.RTConfig, sym) || rt != nil && rt.ExcludedConfig(sym)
		})
		if err != nil {
			return nil, fmt.Errorf("review: %w", err)
		}
		r.kc = kc
	}
	if s.OpenIndex != nil {
		// The caller's errors, as they are: it knows what its index is.
		ix, err := s.OpenIndex(r.kb)
		if err != nil {
			return nil, err
		}
		r.ix = ix
		if ix != nil && r.kc != nil {
			r.kc = r.kc.SetDerived(ix.Derived)
			ix.UseKconfig(r.kc)
		}
	}
	return r, nil
}

// Close closes the index.
func (r *Reviewer) Close() error {
	if r.ix == nil {
		return nil
	}
	return r.ix.Close()
}

// Settings returns the settings a review of b follows, loading the
// knowledge base they extend (kept for Review). A front-end calls it to
// refuse a base's bad settings (a *SettingsError) before other work.
func (r *Reviewer) Settings(b Base) (*config.Config, error) {
	cfg, _, err := r.settings(b)
	return cfg, err
}

// Review reviews series s against base b as its settings say: the rules
// they enable, the paths they skip, the severities and suppressions they
// set. A series that does not apply is a *diff.ApplyError; bad settings
// of the base a *SettingsError.
func (r *Reviewer) Review(ctx context.Context, b Base, s *diff.Series) (*Outcome, error) {
	cfg, k, err := r.settings(b)
	if err != nil {
		return nil, err
	}
	opt := Options{KB: k, Tree: b.Tree, NoRT: r.setup.NoRT, RT: r.rt, All: r.setup.All, OnlyPatch: r.setup.OnlyPatch,
		IncludeDepth: r.setup.IncludeDepth, NoCallers: r.setup.NoCallers, Conditional: r.setup.Conditional, Log: r.log}
	if r.kc != nil {
		opt.Kconfig = r.kc
	}
	// The index's summaries were made with its knowledge base: under
	// another (a base's kb files) they would mean something else.
	useIndex := r.ix != nil && k == r.kb
	if useIndex {
		opt.Externals = r.ix
	}
	opt.Configure(cfg)
	res, err := Check(ctx, s, opt)
	if err != nil {
		return nil, err
	}
	ApplyConfig(res, cfg)
	out := &Outcome{Result: res, Base: b.Label, NoRT: opt.NoRT, Analyzers: opt.Analyzers}
	switch {
	case useIndex:
		out.IndexErr = r.ix.Err()
	case r.ix != nil:
		out.IndexUnused = index.ErrStale
	}
	return out, nil
}

// settings returns the settings a review of b follows and the knowledge
// base they make.
func (r *Reviewer) settings(b Base) (*config.Config, *kb.KB, error) {
	if !r.setup.SettingsFromBase {
		return r.cfg, r.kb, nil
	}
	t := b.Settings
	if t == nil {
		t = b.Tree
	}
	if t == nil {
		return config.Default(), r.kb, nil
	}
	name := config.FileName
	if b.SettingsRev != "" {
		name = b.SettingsRev + ":" + name
	}
	data, err := t.ReadFile(config.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return config.Default(), r.kb, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("review: reading %s: %w", name, err)
	}
	cfg, err := config.Parse(data, name, RuleNames())
	if err != nil {
		return nil, nil, &SettingsError{err}
	}
	names := cfg.KBFiles()
	if len(names) == 0 {
		return cfg, r.kb, nil
	}
	files := memFS{}
	h := sha256.New()
	for _, n := range names {
		data, err := t.ReadFile(n)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, &SettingsError{fmt.Errorf("%s names kb file %s, which its tree does not have", name, n)}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("review: reading kb file %s of %s: %w", n, name, err)
		}
		files[n] = data
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(data))
		h.Write(data)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last != nil && r.last.key == key {
		return cfg, r.last.kb, nil
	}
	k, err := r.kb.Extend(files, names...)
	if err != nil {
		return nil, nil, &SettingsError{fmt.Errorf("kb files of %s: %w", name, err)}
	}
	r.last = &extendedKB{key: key, kb: k}
	return cfg, k, nil
}

// memFS is an fs.FS of files already read (a base's kb files, read once
// for the cache key and once for kb).
type memFS map[string][]byte

// ReadFile implements fs.ReadFileFS, which fs.ReadFile prefers to Open.
func (m memFS) ReadFile(name string) ([]byte, error) {
	data, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(data), nil
}

// Open implements fs.FS.
func (m memFS) Open(name string) (fs.File, error) {
	data, ok := m[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{name: name, Reader: bytes.NewReader(data), size: int64(len(data))}, nil
}

type memFile struct {
	name string
	*bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f}, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct{ f *memFile }

func (i memInfo) Name() string       { return path.Base(i.f.name) }
func (i memInfo) Size() int64        { return i.f.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
