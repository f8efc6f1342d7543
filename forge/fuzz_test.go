// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"lockbot/diff"
	"lockbot/forge/fakegithub"
)

// FuzzWebhookPayload: a signed delivery's payload is still untrusted
// JSON; reading it never panics, and every job it yields names a PR, or
// for a re-run whose payload names none (a fork's), the head commit its
// pull requests are found by.
func FuzzWebhookPayload(f *testing.F) {
	f.Add("pull_request", []byte(`{"action":"opened","installation":{"id":7},"repository":{"name":"linux","owner":{"login":"kernel"}},"pull_request":{"number":1,"head":{"sha":"0123456789abcdef"}}}`))
	f.Add("check_run", []byte(`{"action":"rerequested","installation":{"id":7},"repository":{"name":"linux","owner":{"login":"kernel"}},"check_run":{"head_sha":"0123456789","app":{"id":4242},"pull_requests":[{"number":3}]}}`))
	f.Add("installation", []byte(`{"action":"deleted","installation":{"id":7,"account":{"login":"kernel"}}}`))
	f.Add("pull_request", []byte(`{"action":"opened","pull_request":{"number":"x"}}`))
	f.Add("pull_request", []byte(`{"action":"opened","installation":{"id":7},"repository":{"name":"linux","owner":{"login":"kernel"}},"pull_request":{"number":0,"head":{"sha":"0123456789abcdef"}}}`))
	st := boltStore(f)
	srv, err := New(Config{AppID: 4242, PrivateKey: testKeyPEM(f), WebhookSecret: []byte("s"), Store: st, KB: testKB})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		jobs, _, err := srv.jobsFor(event, payload, time.Now())
		if err != nil {
			return
		}
		for _, j := range jobs {
			byHead := j.Number == 0 && strings.HasSuffix(j.Reason, ".rerequested")
			if j.Installation == 0 || j.Owner == "" || j.Repo == "" || j.Number < 0 || j.Number == 0 && !byHead || j.HeadSHA == "" {
				t.Errorf("job without its PR: %+v", j)
			}
		}
	})
}

// TestJobsForNeedsANumber: only a re-run whose payload lists no pull
// request may leave the number to the worker; a pull_request event, or a
// re-run listing a pull request, that names number 0 is refused rather
// than queued as a job that reviews whatever PR has that head.
func TestJobsForNeedsANumber(t *testing.T) {
	st := boltStore(t)
	srv, err := New(Config{AppID: 4242, PrivateKey: testKeyPEM(t), WebhookSecret: []byte("s"), Store: st, KB: testKB})
	if err != nil {
		t.Fatal(err)
	}
	const repo = `"installation":{"id":7},"repository":{"name":"linux","owner":{"login":"kernel"}}`
	for _, c := range []struct {
		event, payload string
		ok             bool
	}{
		{"pull_request", `{"action":"opened",` + repo + `,"pull_request":{"number":0,"head":{"sha":"0123456789abcdef"}}}`, false},
		{"pull_request", `{"action":"opened",` + repo + `,"pull_request":{"number":5,"head":{"sha":"0123456789abcdef"}}}`, true},
		{"check_run", `{"action":"rerequested",` + repo + `,"check_run":{"head_sha":"0123456789","app":{"id":4242},"pull_requests":[{"number":0}]}}`, false},
		{"check_run", `{"action":"rerequested",` + repo + `,"check_run":{"head_sha":"0123456789","app":{"id":4242},"pull_requests":[]}}`, true},
	} {
		jobs, _, err := srv.jobsFor(c.event, []byte(c.payload), time.Now())
		if c.ok && (err != nil || len(jobs) != 1) {
			t.Errorf("%s %s: got %d jobs, %v; want one job", c.event, c.payload, len(jobs), err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s %s: got %+v; want an error", c.event, c.payload, jobs)
		}
	}
}

// FuzzBuildDiff: the files API's patch text is GitHub's, but a PR's
// author chooses what it holds; building and applying the diff from it
// never panics, and a comment is only ever placed on a line it shows.
func FuzzBuildDiff(f *testing.F) {
	f.Add("@@ -13,3 +13,4 @@ static void bar_count_hit(struct bar *b, struct bar_entry *e)\n {\n+\tspin_lock(&b->stats_lock);\n \te->hits++;\n }")
	f.Add("@@ -1 +1 @@\n-x\n+y")
	f.Add("@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file")
	f.Add("not a hunk")
	tree := diff.DirTree("../testdata/review/tree")
	f.Fuzz(func(t *testing.T, patch string) {
		if len(patch) > 1<<16 {
			return
		}
		for _, status := range []string{"modified", "added", "renamed"} {
			file := &github.CommitFile{Filename: github.String("drivers/bar/bar.c"), Status: github.String(status), Patch: github.String(patch)}
			if status == "renamed" {
				file.Filename, file.PreviousFilename = github.String("drivers/bar/bar2.c"), github.String("drivers/bar/bar.c")
			}
			d, err := buildDiff([]*github.CommitFile{file}, tree)
			if err != nil || d.series == nil {
				continue
			}
			for path, hs := range d.hunks {
				for _, h := range hs {
					if h[1] < h[0] || strings.Contains(path, "..") {
						t.Errorf("hunk %v of %q", h, path)
					}
				}
			}
		}
	})
}

func testKeyPEM(t testing.TB) []byte {
	fake := fakegithub.New()
	defer fake.Close()
	return fake.KeyPEM()
}
