package forge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/google/go-github/v60/github"

	"lockbot/comment"
	"lockbot/config"
	"lockbot/forge/store"
	"lockbot/index"
	"lockbot/kb"
	"lockbot/review"
)

// reviewed is a pull request's review, ready to post.
type reviewed struct {
	res   *review.Result
	diff  *prDiff
	base  string // "master at 1a2b3c4d5e6f"
	noRT  bool
	notes []string
	// skipped says why the PR was not reviewed (too large, bad
	// settings); the check run reports it and nothing is posted.
	skipped    string
	conclusion string // of the check run when skipped
}

// process runs a job: the review of one pull request at one head. It
// returns the state the job ends in, or an error to retry on.
func (s *Server) process(ctx context.Context, j *store.Job, log *slog.Logger) (state, msg string, err error) {
	inst, err := s.st.InstallationState(ctx, j.Installation)
	if err != nil {
		return "", "", err
	}
	if inst != store.Active {
		return store.Dropped, "installation " + inst, nil
	}
	if j.Number == 0 {
		return s.processByHead(ctx, j, log)
	}
	return s.processPR(ctx, j, log)
}

// processByHead runs a rerun whose pull request GitHub did not name, as
// it does not for one from a fork: each open pull request whose head is
// the job's is reviewed (all through the base repository, which has the
// head commit; the fork is seldom the installation's).
func (s *Server) processByHead(ctx context.Context, j *store.Job, log *slog.Logger) (state, msg string, err error) {
	gh := s.apps.installation(j.Installation)
	prs, err := listAll(ctx, func(o *github.ListOptions) ([]*github.PullRequest, *github.Response, error) {
		return gh.PullRequests.List(ctx, j.Owner, j.Repo, &github.PullRequestListOptions{State: "open", ListOptions: *o})
	})
	if err != nil {
		return "", "", fmt.Errorf("finding the pull request of head %s: %w", short(j.HeadSHA), err)
	}
	var notes []string
	state = store.Dropped
	for _, pr := range prs {
		if pr.GetHead().GetSHA() != j.HeadSHA {
			continue
		}
		one := *j
		one.Number = pr.GetNumber()
		st, m, err := s.processPR(ctx, &one, log.With("pr", fmt.Sprintf("%s/%s#%d", j.Owner, j.Repo, one.Number)))
		if err != nil {
			// The whole job goes again: what was posted is found from
			// its markers.
			return "", "", fmt.Errorf("#%d: %w", one.Number, err)
		}
		if st == store.Done {
			state = store.Done
		}
		notes = append(notes, fmt.Sprintf("#%d: %s", one.Number, m))
	}
	if len(notes) == 0 {
		return store.Dropped, "no open pull request has head " + short(j.HeadSHA), nil
	}
	return state, strings.Join(notes, "; "), nil
}

// processPR runs a job of one pull request.
func (s *Server) processPR(ctx context.Context, j *store.Job, log *slog.Logger) (state, msg string, err error) {
	// One job of a pull request at a time: two running together (a
	// "Re-run" during the push's review) would both find nothing posted
	// and both post it.
	unlock, err := s.st.LockPR(ctx, j.PR())
	if err != nil {
		return "", "", fmt.Errorf("waiting for the pull request's other job: %w", err)
	}
	defer unlock()
	gh := s.apps.installation(j.Installation)
	pr, _, err := gh.PullRequests.Get(ctx, j.Owner, j.Repo, j.Number)
	if err != nil {
		return "", "", fmt.Errorf("reading the pull request: %w", err)
	}
	switch {
	case pr.GetState() != "open":
		return store.Dropped, "pull request " + pr.GetState(), nil
	case pr.GetHead().GetSHA() != j.HeadSHA:
		// A later push has its own delivery and job.
		return store.Dropped, "superseded by " + short(pr.GetHead().GetSHA()), nil
	case pr.GetDraft():
		return store.Dropped, "draft", nil
	}
	run, err := s.startCheck(ctx, gh, j)
	if err != nil {
		return "", "", err
	}
	rv, err := s.review(ctx, gh, j, pr, log)
	if err != nil {
		return "", "", err
	}
	if rv.skipped != "" {
		if err := s.finishCheck(ctx, gh, j, run, rv, nil); err != nil {
			return "", "", err
		}
		return store.Done, "not reviewed: " + rv.skipped, nil
	}
	out, err := s.post(ctx, gh, j, pr, rv)
	if err != nil {
		return "", "", err
	}
	if err := s.finishCheck(ctx, gh, j, run, rv, out); err != nil {
		return "", "", err
	}
	return store.Done, out.String(), nil
}

// review runs `lockbot check`'s review on the pull request: its diff
// against the merge base, the files read through the API, the settings
// of the base branch.
func (s *Server) review(ctx context.Context, gh *github.Client, j *store.Job, pr *github.PullRequest, log *slog.Logger) (*reviewed, error) {
	cmp, _, err := gh.Repositories.CompareCommits(ctx, j.Owner, j.Repo, pr.GetBase().GetSHA(), j.HeadSHA, &github.ListOptions{PerPage: 1})
	if err != nil {
		return nil, fmt.Errorf("finding the merge base: %w", err)
	}
	mergeBase := cmp.GetMergeBaseCommit().GetSHA()
	if mergeBase == "" {
		return nil, errors.New("finding the merge base: GitHub named none")
	}
	var reads atomic.Int64
	tree := &apiTree{ctx: ctx, gh: gh, owner: j.Owner, repo: j.Repo, ref: mergeBase, cache: s.cache,
		maxBytes: s.cfg.MaxFileBytes, reads: &reads}
	rv := &reviewed{base: pr.GetBase().GetRef() + " at " + short(mergeBase)}

	// Settings come from the base branch as it is now, not from the pull
	// request: a PR cannot switch its own review off.
	settingsTree := *tree
	settingsTree.ref = pr.GetBase().GetSHA()
	cfg, k, err := s.settings(&settingsTree)
	var bad *badSettings
	if errors.As(err, &bad) {
		rv.skipped, rv.conclusion = bad.Error(), "failure"
		return rv, nil
	}
	if err != nil {
		return nil, err
	}

	files, err := listFiles(ctx, gh, j.Owner, j.Repo, j.Number, limits{s.cfg.MaxFiles, s.cfg.MaxLines})
	var big *errPRTooLarge
	if errors.As(err, &big) {
		rv.skipped, rv.conclusion = big.Error(), "neutral"
		return rv, nil
	}
	if err != nil {
		return nil, err
	}
	d, err := buildDiff(files, tree)
	if err != nil {
		return nil, err
	}
	rv.diff, rv.notes = d, d.notes
	opt := review.Options{KB: k, Tree: tree, IncludeDepth: 2, Log: log}
	opt.Configure(cfg)
	rv.noRT = opt.NoRT
	if d.series == nil {
		rv.res = &review.Result{}
		return rv, nil
	}
	var ix *index.Index
	if s.cfg.IndexPath != "" {
		var err error
		if ix, err = index.OpenWith(s.cfg.IndexPath, k, index.OpenOptions{Log: log}); err != nil {
			// The review still runs, blind across files as without one.
			rv.notes = append(rv.notes, "the index was not used: "+err.Error())
			ix = nil
		} else {
			defer ix.Close()
			opt.Externals = ix
		}
	}
	res, err := review.Check(ctx, d.series, opt)
	if err != nil {
		return nil, fmt.Errorf("reviewing: %w", err)
	}
	review.ApplyConfig(res, cfg)
	rv.res = res
	if ix != nil {
		if err := ix.Err(); err != nil {
			rv.notes = append(rv.notes, "the index has damaged records, read as unknown functions: "+err.Error())
		}
	}
	for _, na := range res.NotAnalysed {
		rv.notes = append(rv.notes, comment.NotAnalysedText(na))
	}
	log.Debug("reviewed", "files", d.files, "findings", len(res.Findings), "api_reads", reads.Load())
	return rv, nil
}

// badSettings is a .lockbot.yaml (or a kb file it names) that does not
// load: the repository's to fix, reported on the check run.
type badSettings struct{ err error }

func (e *badSettings) Error() string { return e.err.Error() }

// settings reads .lockbot.yaml and the kb files it names from a commit.
func (s *Server) settings(t *apiTree) (*config.Config, *kb.KB, error) {
	data, err := t.ReadFile(config.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return config.Default(), s.cfg.KB, nil
	}
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Parse(data, short(t.ref)+":"+config.FileName, review.RuleNames())
	if err != nil {
		return nil, nil, &badSettings{err}
	}
	if len(cfg.KBFiles()) == 0 {
		return cfg, s.cfg.KB, nil
	}
	// kb.Load reads files: the repository's go to a directory of the job's.
	dir, err := os.MkdirTemp("", "lockbot-kb-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	files := append([]string(nil), s.cfg.KBFiles...)
	for i, p := range cfg.KBFiles() {
		data, err := t.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, &badSettings{fmt.Errorf("%s names kb file %s, which the commit does not have", config.FileName, p)}
		}
		if err != nil {
			return nil, nil, err
		}
		local := filepath.Join(dir, strconv.Itoa(i)+"-"+filepath.Base(p))
		if err := os.WriteFile(local, data, 0o600); err != nil {
			return nil, nil, err
		}
		files = append(files, local)
	}
	k, err := kb.Load(files...)
	if err != nil {
		return nil, nil, &badSettings{err}
	}
	return cfg, k, nil
}
