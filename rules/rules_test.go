// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/source"
)

// TestRules runs every case in testdata/rules: a C file, or a directory of
// C files analysed together. Each expected finding is marked on its line
// with a comment "want RULE [RULE...]"; every finding must be wanted and
// every want found.
func TestRules(t *testing.T) {
	k, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("../testdata/rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no test cases")
	}
	for _, e := range entries {
		path := filepath.Join("../testdata/rules", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			var files []string
			if e.IsDir() {
				files, _ = filepath.Glob(filepath.Join(path, "*.[ch]"))
			} else if strings.HasSuffix(path, ".c") {
				files = []string{path}
			} else {
				t.Skip("not a case")
			}
			checkCase(t, k, files)
		})
	}
}

// A case marks what it expects in a comment on the line, as
// analysistest does: "want RULE" for a finding of RULE there, "want RULE
// "regexp"" for one whose message, or a step of whose chain ("11: goto
// out leaves ..."), matches, and "want summary:"regexp""
// (or "want NAME:"regexp"") on the line that names a function for what
// its summary (Summary.String) must say.
type want struct {
	rule    string // a rule, or "" for a summary
	fn      string // the function a summary want names; "" for the one defined on the line
	re      *regexp.Regexp
	matched bool
}

var wantStart = regexp.MustCompile(`(?:/\*|//)\s*want\s`)

// parseWants reads the wants of one line.
func parseWants(line string) ([]*want, error) {
	loc := wantStart.FindStringIndex(line)
	if loc == nil {
		return nil, nil
	}
	rest := line[loc[1]:]
	if i := strings.Index(rest, "*/"); i >= 0 {
		rest = rest[:i]
	}
	var out []*want
	for {
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return out, nil
		}
		end := strings.IndexAny(rest, " \t\":")
		if end < 0 {
			end = len(rest)
		}
		word := rest[:end]
		rest = rest[end:]
		w := &want{}
		switch {
		case strings.HasPrefix(rest, ":"):
			rest = rest[1:]
			if word != "summary" {
				w.fn = word
			}
		case word != "" && strings.ToUpper(word) == word:
			w.rule = word
			if !strings.HasPrefix(strings.TrimLeft(rest, " \t"), "\"") {
				out = append(out, w)
				continue
			}
			rest = strings.TrimLeft(rest, " \t")
		default:
			return nil, fmt.Errorf("want: cannot read %q", word+rest)
		}
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("want: a quoted regexp after %q: %v", word, err)
		}
		rest = rest[len(q):]
		text, _ := strconv.Unquote(q)
		if w.re, err = regexp.Compile(text); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
}

func checkCase(t *testing.T, k *kb.KB, files []string) {
	t.Helper()
	var srcs []source.Source
	wants := map[string][]*want{} // "file:line:RULE" (or "file:line:" for summaries)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, source.Source{Path: f, Src: data})
		for i, line := range strings.Split(string(data), "\n") {
			ws, err := parseWants(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", f, i+1, err)
			}
			for _, w := range ws {
				k := fmt.Sprintf("%s:%d:%s", f, i+1, w.rule)
				wants[k] = append(wants[k], w)
			}
		}
	}
	prog, errs, _, err := build(context.Background(), srcs, Options{KB: k, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Fatalf("parse errors: %v", errs)
	}
	if prog.Stats.Failed > 0 {
		t.Errorf("%d functions could not be analysed", prog.Stats.Failed)
	}
	findings := Run(prog, All())
	got := map[string][]*Finding{}
	for _, f := range findings {
		k := fmt.Sprintf("%s:%d:%s", f.File, f.Line, f.Rule)
		got[k] = append(got[k], f)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k, ws := range wants {
		if _, ok := got[k]; !ok && ws[0].rule != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		ws, fs := wants[k], got[k]
		switch {
		case len(ws) > 0 && len(fs) == 0:
			t.Errorf("%s: wanted, not found", k)
			continue
		case len(ws) == 0:
			for _, f := range fs {
				t.Errorf("%s: unexpected finding: %s\n%s", k, f.Message, chainText(f))
			}
			continue
		}
		for _, w := range ws {
			if w.re == nil {
				continue
			}
			for _, f := range fs {
				if w.re.MatchString(f.Message) || w.re.MatchString(stepNotes(f)) {
					w.matched = true
				}
			}
			if !w.matched {
				t.Errorf("%s: no finding's message or chain matches %q:\n%s", k, w.re, messages(fs))
			}
		}
	}
	// Summaries: the function defined on the line, or the one named.
	for k, ws := range wants {
		if ws[0].rule != "" {
			continue
		}
		file, line := splitKey(k)
		for _, w := range ws {
			fi := findFunc(prog, file, line, w.fn)
			if fi == nil {
				t.Errorf("%s:%d: no function %q on or named by this line", file, line, w.fn)
				continue
			}
			if got := fi.Sum.String(); !w.re.MatchString(got) {
				t.Errorf("%s:%d: %s()'s summary does not match %q:\n    %s", file, line, fi.F.Name, w.re, got)
			}
		}
	}
	if t.Failed() || testing.Verbose() {
		for _, f := range findings {
			t.Logf("%s:%d: %s: %s\n%s", f.File, f.Line, f.Rule, f.Message, chainText(f))
		}
	}
}

func messages(fs []*Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "    %s\n", f.Message)
	}
	return b.String()
}

// splitKey splits "file:line:" into the file and the line.
func splitKey(k string) (string, int) {
	k = strings.TrimSuffix(k, ":")
	i := strings.LastIndexByte(k, ':')
	n, _ := strconv.Atoi(k[i+1:])
	return k[:i], n
}

// findFunc finds the function named name in file, or, without a name,
// the one whose name is on line.
func findFunc(prog *flow.Program, file string, line int, name string) *flow.FuncInfo {
	for _, fi := range prog.Funcs {
		if fi.F.File.Path != file {
			continue
		}
		if name == fi.F.Name || name == "" && fi.F.Line == line {
			return fi
		}
	}
	return nil
}

func chainText(f *Finding) string {
	var b strings.Builder
	for _, s := range f.Chain {
		fmt.Fprintf(&b, "    %s:%d: %s(): %s\n", filepath.Base(s.File), s.Line, s.Func, s.Note)
	}
	return b.String()
}

func TestParseWants(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string // rule/fn/regexp of each want
		bad  bool
	}{
		{"x(); /* want SLEEP_IN_ATOMIC */", []string{"SLEEP_IN_ATOMIC//"}, false},
		{"x(); /* want DOUBLE_LOCK LOCK_LEAK */", []string{"DOUBLE_LOCK//", "LOCK_LEAK//"}, false},
		{`x(); /* want SLEEP_IN_ATOMIC "kmalloc.*GFP_KERNEL" LOCK_LEAK */`, []string{"SLEEP_IN_ATOMIC//kmalloc.*GFP_KERNEL", "LOCK_LEAK//"}, false},
		{`int f(void) /* want summary:"^sleeps: msleep\\(1\\)$" */`, []string{"//^sleeps: msleep\\(1\\)$"}, false},
		{`x(); // want foo_lock:"acquires spinlock_t"`, []string{"/foo_lock/acquires spinlock_t"}, false},
		{"x(); /* nothing wanted */", nil, false},
		{`x(); /* want summary:unquoted */`, nil, true},
		{`x(); /* want SLEEP_IN_ATOMIC "(" */`, nil, true},
		{`x(); /* want lowercase */`, nil, true},
	} {
		ws, err := parseWants(c.line)
		if (err != nil) != c.bad {
			t.Errorf("%s: error %v", c.line, err)
			continue
		}
		var got []string
		for _, w := range ws {
			re := ""
			if w.re != nil {
				re = w.re.String()
			}
			got = append(got, w.rule+"/"+w.fn+"/"+re)
		}
		if !c.bad && strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s:\n got %q\nwant %q", c.line, got, c.want)
		}
	}
}

// stepNotes is a finding's chain as "line: note" lines, for wants about
// the steps a chain names.
func stepNotes(f *Finding) string {
	var b strings.Builder
	for _, s := range f.Chain {
		fmt.Fprintf(&b, "%d: %s\n", s.Line, s.Note)
	}
	return b.String()
}
