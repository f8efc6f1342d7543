// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lockbot/forge/fakegithub"
	"lockbot/forge/store"
)

// server is a `lockbot serve` process.
type server struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

var listenLine = regexp.MustCompile(`lockbot serve: listening.* addr=(\S+)`)

func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("lockbot serve %v:\n%s", args, s.log())
		}
	})
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.done:
		t.Fatalf("lockbot serve exited:\n%s", s.log())
	case <-time.After(10 * time.Second):
		t.Fatalf("lockbot serve did not start:\n%s", s.log())
	}
	return s
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func treeFiles(t *testing.T, dir string) map[string][]byte {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Killing the server in the middle of a job and starting it again posts
// exactly one review: the job's lease runs out, the new process takes it
// over, and what the dead one had posted is found from its markers. The
// lease is 4 s: its heartbeat (every third of it) must get through on a
// machine busy with other work, or the live worker loses its own job.
func TestServeKilledMidJobPostsOneReview(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall func(r *http.Request) bool // the request the process dies waiting on
		after bool                       // GitHub has done it when the process dies
	}{
		{"while reading the files", func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/pulls/1/files") }, false},
		{"after GitHub took the review", func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pulls/1/reviews")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakegithub.New()
			defer fake.Close()
			base := fake.AddRepo("kernel", "linux", 77, treeFiles(t, "../../testdata/review/tree"))
			patch, err := os.ReadFile("../../testdata/review/spinlock-in-bitlock.patch")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fake.OpenPR("kernel", "linux", 1, base, string(patch)); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			key, secret, db := filepath.Join(dir, "app.pem"), filepath.Join(dir, "secret"), filepath.Join(dir, "state.db")
			os.WriteFile(key, fake.KeyPEM(), 0o600)
			os.WriteFile(secret, append(fake.WebhookSecret, '\n'), 0o600)
			args := []string{"--db", db, "--app-id", "4242", "--private-key", key, "--webhook-secret-file", secret,
				"--github-url", fake.URL, "--lease", "4s"}

			stalled, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			wait := func(r *http.Request) {
				if tc.stall(r) {
					once.Do(func() { close(stalled); <-release })
				}
			}
			if tc.after {
				fake.After = wait
			} else {
				fake.Hook = func(w http.ResponseWriter, r *http.Request) bool { wait(r); return false }
			}
			defer func() {
				select {
				case <-release:
				default:
					close(release)
				}
			}()

			first := startServe(t, args...)
			deliverOpened(t, fake, first.url)
			select {
			case <-stalled:
			case <-time.After(15 * time.Second):
				t.Fatalf("the job never reached the stalled request:\n%s", first.log())
			}
			first.cmd.Process.Signal(syscall.SIGKILL)
			<-first.done
			close(release)
			if n := len(fake.PR("kernel", "linux", 1).Reviews); n != map[bool]int{false: 0, true: 1}[tc.after] {
				t.Fatalf("%d reviews when the process died", n)
			}

			second := startServe(t, args...)
			deadline := time.Now().Add(20 * time.Second)
			for {
				runs, _ := fake.CheckRuns("kernel", "linux")
				if len(runs) > 0 && runs[len(runs)-1].GetStatus() == "completed" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the restarted server did not finish the job:\n%s", second.log())
				}
				time.Sleep(50 * time.Millisecond)
			}
			second.cmd.Process.Signal(syscall.SIGTERM)
			<-second.done

			pr := fake.PR("kernel", "linux", 1)
			if len(pr.Reviews) != 1 || len(pr.Comments) != 1 || pr.Comments[0].GetLine() != 15 {
				t.Fatalf("%d reviews, %d comments; want exactly one review with one comment on line 15", len(pr.Reviews), len(pr.Comments))
			}
			runs, _ := fake.CheckRuns("kernel", "linux")
			if len(runs) != 1 || runs[0].GetConclusion() != "failure" {
				t.Errorf("check runs %+v: want the one the first process created, completed", runs)
			}
			st, err := store.OpenBolt(db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			jobs, err := st.Jobs(context.Background(), "d-1")
			if err != nil || len(jobs) != 1 || jobs[0].State != store.Done || jobs[0].Attempts != 2 {
				t.Errorf("job %+v %v: want done on the second attempt", jobs, err)
			}
		})
	}
}

func TestServeUsage(t *testing.T) {
	_, stderr, code := runBin(t, "serve", "--app-id", "1")
	if code != 2 || !strings.Contains(stderr, "--private-key") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	os.WriteFile(key, []byte("not a key"), 0o600)
	cmd := exec.Command(binary, "serve", "--app-id", "1", "--private-key", key, "--db", filepath.Join(dir, "s.db"))
	cmd.Env = append(os.Environ(), "LOCKBOT_WEBHOOK_SECRET=")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "webhook secret") {
		t.Errorf("no secret: exit %d, %s", cmd.ProcessState.ExitCode(), out)
	}
	cmd = exec.Command(binary, "serve", "--app-id", "1", "--private-key", key, "--db", filepath.Join(dir, "s.db"))
	cmd.Env = append(os.Environ(), "LOCKBOT_WEBHOOK_SECRET=s")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "private key") {
		t.Errorf("bad key: exit %d, %s", cmd.ProcessState.ExitCode(), out)
	}
}

// A server that dies in every attempt at a job (a pull request that
// crashes it) ends up giving the job up: the restarted server completes
// the check run the first attempt left in progress, saying why, and the
// job's error says it too.
func TestServeKilledInEveryAttemptCompletesTheCheckRun(t *testing.T) {
	fake := fakegithub.New()
	defer fake.Close()
	base := fake.AddRepo("kernel", "linux", 77, treeFiles(t, "../../testdata/review/tree"))
	patch, err := os.ReadFile("../../testdata/review/spinlock-in-bitlock.patch")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.OpenPR("kernel", "linux", 1, base, string(patch)); err != nil {
		t.Fatal(err)
	}
	// Every read of the files stalls, until the process reading dies.
	stalled := make(chan struct{}, 10)
	fake.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/pulls/1/files") {
			return false
		}
		stalled <- struct{}{}
		<-r.Context().Done()
		return true
	}
	dir := t.TempDir()
	key, secret, db := filepath.Join(dir, "app.pem"), filepath.Join(dir, "secret"), filepath.Join(dir, "state.db")
	os.WriteFile(key, fake.KeyPEM(), 0o600)
	os.WriteFile(secret, fake.WebhookSecret, 0o600)
	args := []string{"--db", db, "--app-id", "4242", "--private-key", key, "--webhook-secret-file", secret,
		"--github-url", fake.URL, "--lease", "4s", "--max-attempts", "2"}

	for attempt := 1; attempt <= 2; attempt++ {
		s := startServe(t, args...)
		if attempt == 1 {
			deliverOpened(t, fake, s.url)
		}
		select {
		case <-stalled:
		case <-time.After(15 * time.Second):
			t.Fatalf("attempt %d never reached the files:\n%s", attempt, s.log())
		}
		s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}
	runs, _ := fake.CheckRuns("kernel", "linux")
	if len(runs) != 1 || runs[0].GetStatus() != "in_progress" {
		t.Fatalf("check runs %+v, want the one in progress the first attempt created", runs)
	}

	last := startServe(t, args...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, _ = fake.CheckRuns("kernel", "linux")
		if len(runs) > 0 && runs[0].GetStatus() == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the check run stays %s:\n%s", runs[0].GetStatus(), last.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	last.cmd.Process.Signal(syscall.SIGTERM)
	<-last.done
	if len(runs) != 1 || runs[0].GetConclusion() != "neutral" || runs[0].GetOutput().GetTitle() != "Not reviewed" ||
		!strings.Contains(runs[0].GetOutput().GetSummary(), "gave up after 2 attempts") {
		t.Errorf("check runs %+v: want one, neutral, saying lockbot gave up", runs)
	}
	st, err := store.OpenBolt(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	jobs, err := st.Jobs(context.Background(), "d-1")
	if err != nil || len(jobs) != 1 || jobs[0].State != store.Failed || !strings.Contains(jobs[0].Error, "gave up after 2 attempts: none finished") {
		t.Errorf("job %+v %v: want failed, saying why", jobs, err)
	}
	if pr := fake.PR("kernel", "linux", 1); len(pr.Reviews) != 0 {
		t.Errorf("%d reviews", len(pr.Reviews))
	}
}

// The App's key and webhook secret are refused, as ssh refuses a key,
// when the file is open to its group or to others, or another user's
// (B14): the error names the file, its mode and the fix.
func TestServeRefusesOpenSecretFiles(t *testing.T) {
	fake := fakegithub.New()
	defer fake.Close()
	dir := t.TempDir()
	key, secret := filepath.Join(dir, "app.pem"), filepath.Join(dir, "secret")
	os.WriteFile(key, fake.KeyPEM(), 0o600)
	os.WriteFile(secret, fake.WebhookSecret, 0o600)
	run := func() (string, int) {
		t.Helper()
		// A server that takes the files runs until it is killed.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "serve", "--app-id", "1", "--private-key", key, "--webhook-secret-file", secret,
			"--db", filepath.Join(dir, "s.db"), "--listen", "127.0.0.1:0", "--github-url", fake.URL)
		out, _ := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Errorf("serve ran with secret files of modes %v:\n%s", modes(key, secret), out)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	for _, tc := range []struct {
		file string
		mode os.FileMode
	}{
		{key, 0o644}, {key, 0o640}, {key, 0o604}, {key, 0o660}, {key, 0o620},
		{secret, 0o666}, {secret, 0o644}, {secret, 0o602},
	} {
		os.Chmod(tc.file, tc.mode)
		out, code := run()
		want := fmt.Sprintf("%s is mode %04o", tc.file, tc.mode)
		if code != 2 || !strings.Contains(out, want) || !strings.Contains(out, "chmod 600 "+tc.file) {
			t.Errorf("mode %04o on %s: exit %d, %s; want 2, %q and the fix", tc.mode, filepath.Base(tc.file), code, out, want)
		}
		os.Chmod(tc.file, 0o600)
	}
	// A FIFO in its place, which reading would wait on for good.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	saved := secret
	secret = fifo
	if out, code := run(); code != 2 || !strings.Contains(out, fifo+" is not a regular file") {
		t.Errorf("secret a FIFO: exit %d, %s", code, out)
	}
	secret = saved
	if os.Geteuid() != 0 {
		t.Log("not root: the owner check is not tried")
		return
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(u.Uid)
	os.Chown(secret, uid, -1)
	if out, code := run(); code != 2 || !strings.Contains(out, fmt.Sprintf("%s is owned by uid %d", secret, uid)) {
		t.Errorf("secret owned by nobody: exit %d, %s", code, out)
	}
}

func modes(files ...string) []string {
	var out []string
	for _, f := range files {
		fi, err := os.Stat(f)
		if err == nil {
			out = append(out, fmt.Sprintf("%s %04o", filepath.Base(f), fi.Mode().Perm()))
		}
	}
	return out
}

// deliverOpened delivers pull request 1's "opened" event to a server and
// waits for its acknowledgement.
func deliverOpened(t *testing.T, fake *fakegithub.Server, url string) {
	t.Helper()
	resp, err := fake.Deliver(url+"/webhook", "pull_request", "d-1", fake.PullRequestEvent("opened", "kernel", "linux", 1), fake.WebhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delivery: %s", resp.Status)
	}
}

// TestServeMetricsApart: with --metrics-listen, /metrics is served there
// and not on the public webhook port, and the server says when it stops.
func TestServeMetricsApart(t *testing.T) {
	fake := fakegithub.New()
	defer fake.Close()
	dir := t.TempDir()
	key, secret, db := filepath.Join(dir, "app.pem"), filepath.Join(dir, "secret"), filepath.Join(dir, "state.db")
	os.WriteFile(key, fake.KeyPEM(), 0o600)
	os.WriteFile(secret, append(fake.WebhookSecret, '\n'), 0o600)
	s := startServe(t, "--db", db, "--app-id", "4242", "--private-key", key, "--webhook-secret-file", secret,
		"--github-url", fake.URL, "--metrics-listen", "127.0.0.1:0")
	m := regexp.MustCompile(`lockbot serve: metrics.* addr=(\S+)`).FindStringSubmatch(s.log())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", s.log())
	}
	get := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(s.url + "/metrics"); code != http.StatusNotFound {
		t.Errorf("public port /metrics: %d, want 404", code)
	}
	if code := get("http://" + m[1] + "/metrics"); code != http.StatusOK {
		t.Errorf("metrics port /metrics: %d, want 200", code)
	}
	if code := get(s.url + "/healthz"); code != http.StatusOK {
		t.Errorf("public port /healthz: %d, want 200", code)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if !strings.Contains(s.log(), "lockbot serve: stopped") {
		t.Errorf("no line on shutdown:\n%s", s.log())
	}
}

// TestServeDemo: serve --demo, from the README, reviews the bundled pull
// request on a fake GitHub and prints what the App posts.
func TestServeDemo(t *testing.T) {
	out, stderr, code := runBin(t, "serve", "--demo")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"lockbot found 1 lock problem this pull request introduces", "=== comment on drivers/bar/bar.c:15",
		"RT_SLEEPING_LOCK_IN_ATOMIC", `=== check run "lockbot": failure, 1 error`} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if _, _, code := runBin(t, "serve", "--demo", "--demo-patch", "no/such.patch"); code != 2 {
		t.Errorf("missing demo patch: exit %d, want 2", code)
	}
}
