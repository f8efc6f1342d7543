// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/google/go-github/v60/github"

	"lockbot/comment"
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
	base := review.Base{Tree: tree, Label: rv.base, Settings: &settingsTree, SettingsRev: short(settingsTree.ref)}
	// A Reviewer per job, as the index was opened per job: the server's
	// knowledge base is loaded already, so it costs the index's open.
	setup := review.Setup{KB: s.cfg.KB, SettingsFromBase: true, IncludeDepth: 2, KconfigFile: s.cfg.Kconfig, Log: log}
	var indexNote string
	if p := s.cfg.IndexPath; p != "" {
		setup.OpenIndex = func(k *kb.KB) (*index.Index, error) {
			ix, err := index.OpenWith(p, k, index.OpenOptions{Log: log})
			if err != nil {
				// The review still runs, blind across files as without one.
				indexNote = "the index was not used: " + err.Error()
				return nil, nil
			}
			return ix, nil
		}
	}
	r, err := review.Open(setup)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cfg, err := r.Settings(base)
	var bad *review.SettingsError
	if errors.As(err, &bad) {
		// The repository's to fix: reported on the check run.
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
	if d.series == nil {
		rv.noRT = !cfg.RT()
		rv.res = &review.Result{}
		return rv, nil
	}
	if indexNote != "" {
		rv.notes = append(rv.notes, indexNote)
	}
	out, err := r.Review(ctx, base, d.series)
	if err != nil {
		return nil, fmt.Errorf("reviewing: %w", err)
	}
	rv.res, rv.noRT = out.Result, out.NoRT
	if out.IndexUnused != nil {
		rv.notes = append(rv.notes, "the index was not used: "+out.IndexUnused.Error())
	}
	if out.IndexErr != nil {
		rv.notes = append(rv.notes, "the index has damaged records, read as unknown functions: "+out.IndexErr.Error())
	}
	for _, na := range out.Result.NotAnalysed {
		rv.notes = append(rv.notes, comment.NotAnalysedText(na))
	}
	log.Debug("reviewed", "files", d.files, "findings", len(out.Result.Findings), "api_reads", reads.Load())
	return rv, nil
}
