// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"lockbot/comment"
	"lockbot/forge/store"
	"lockbot/review"
	"lockbot/rules"
)

// maxInline is how many comments one review carries; the rest go in its
// body.
const maxInline = 30

// maxAnnotations is how many annotations GitHub takes per check-run request.
const maxAnnotations = 50

// maxSummary is the longest check-run summary GitHub takes (characters;
// counted here as bytes, never fewer).
const maxSummary = 65535

// maxPages bounds a listing: 30 pages of 100.
const maxPages = 30

// posted is what a job posted.
type posted struct {
	review                            int64
	inline, listed, stillOpen, closed int
}

func (p *posted) String() string {
	if p.review == 0 {
		return fmt.Sprintf("nothing new (%d still open, %d resolved)", p.stillOpen, p.closed)
	}
	return fmt.Sprintf("review %d: %d inline, %d in the body, %d still open, %d resolved", p.review, p.inline, p.listed, p.stillOpen, p.closed)
}

// listAll reads every page of a listing, up to maxPages.
func listAll[T any](ctx context.Context, list func(opt *github.ListOptions) ([]T, *github.Response, error)) ([]T, error) {
	var all []T
	opt := &github.ListOptions{PerPage: 100}
	for range maxPages {
		page, resp, err := list(opt)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opt.Page = resp.NextPage
	}
	return all, nil
}

// post brings the pull request's comments in line with the review: one
// review with the findings not said before (none: no review), and an
// edit marking resolved each comment whose finding is gone, unless a
// person replied to it. What was said is the store's record plus the
// markers in lockbot's own comments and review bodies: a run that died
// after posting and before recording is not repeated.
func (s *Server) post(ctx context.Context, gh *github.Client, j *store.Job, pr *github.PullRequest, rv *reviewed) (*posted, error) {
	bot, err := s.apps.botLogin(ctx)
	if err != nil {
		return nil, err
	}
	key := j.PR()
	known, err := s.st.Posted(ctx, key)
	if err != nil {
		return nil, err
	}
	comments, err := listAll(ctx, func(o *github.ListOptions) ([]*github.PullRequestComment, *github.Response, error) {
		return gh.PullRequests.ListComments(ctx, j.Owner, j.Repo, j.Number, &github.PullRequestListCommentsOptions{ListOptions: *o})
	})
	if err != nil {
		return nil, fmt.Errorf("listing review comments: %w", err)
	}
	reviews, err := listAll(ctx, func(o *github.ListOptions) ([]*github.PullRequestReview, *github.Response, error) {
		return gh.PullRequests.ListReviews(ctx, j.Owner, j.Repo, j.Number, o)
	})
	if err != nil {
		return nil, fmt.Errorf("listing reviews: %w", err)
	}
	var save []store.Posted
	// said takes in a marker found on GitHub that the store does not
	// have: posted by a run that died before recording it. A marker
	// posted on this very head counts even over a record of the finding
	// as resolved: the finding came back, and a run at this head said so
	// again before dying.
	said := func(p store.Posted) {
		if old, ok := known[p.Fingerprint]; ok && !(old.Resolved && !p.Resolved && p.HeadSHA == j.HeadSHA) {
			return
		}
		known[p.Fingerprint] = p
		save = append(save, p)
	}
	ours := map[string]*github.PullRequestComment{}
	replied := map[int64]bool{}
	for _, c := range comments {
		if c.GetUser().GetLogin() != bot {
			if c.InReplyTo != nil {
				replied[c.GetInReplyTo()] = true
			}
			continue
		}
		resolved := comment.GitHubIsResolved(c.GetBody())
		// commit_id follows the pushes; original_commit_id is where it
		// was posted.
		at := c.GetOriginalCommitID()
		if at == "" {
			at = c.GetCommitID()
		}
		for _, fp := range comment.GitHubMarkers(c.GetBody()) {
			// A finding that came back has an old comment, resolved,
			// and a new one: the new one is the one to resolve.
			if prev := ours[fp]; prev == nil || !resolved || comment.GitHubIsResolved(prev.GetBody()) {
				ours[fp] = c
			}
			said(store.Posted{Fingerprint: fp, CommentID: c.GetID(), Path: c.GetPath(), Line: c.GetLine(), HeadSHA: at, Resolved: resolved})
		}
	}
	for _, r := range reviews {
		if r.GetUser().GetLogin() != bot {
			continue
		}
		for _, fp := range comment.GitHubMarkers(r.GetBody()) {
			said(store.Posted{Fingerprint: fp, HeadSHA: r.GetCommitID()})
		}
	}

	out := &posted{}
	current := map[string]bool{}
	var fresh []*review.Finding
	for _, f := range rv.res.Findings {
		if !f.Introduced || current[f.Fingerprint] {
			continue
		}
		current[f.Fingerprint] = true
		if p, ok := known[f.Fingerprint]; ok && !p.Resolved {
			out.stillOpen++
			continue
		}
		fresh = append(fresh, f)
	}
	opt := comment.GitHubOptions{RepoURL: pr.GetBase().GetRepo().GetHTMLURL(), Head: j.HeadSHA, Base: rv.base, NoRT: rv.noRT}
	if len(fresh) > 0 {
		var inline, listed []*review.Finding
		for _, f := range fresh {
			if len(inline) < maxInline && rv.diff != nil && rv.diff.inDiff(f.File, f.Line) {
				inline = append(inline, f)
			} else {
				listed = append(listed, f)
			}
		}
		id, err := s.createReview(ctx, gh, j, rv, opt, inline, listed, out.stillOpen)
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response.StatusCode == http.StatusUnprocessableEntity && len(inline) > 0 {
			// The local check of the lines disagreed with GitHub's: the
			// whole review was refused, so say it all in the body.
			s.log.Warn("review refused; posting its findings in the body", "pr", j.Number, "err", err)
			inline, listed = nil, fresh
			id, err = s.createReview(ctx, gh, j, rv, opt, nil, fresh, out.stillOpen)
		}
		if err != nil {
			return nil, fmt.Errorf("posting the review: %w", err)
		}
		out.review, out.inline, out.listed = id, len(inline), len(listed)
		ids := map[string]int64{}
		if len(inline) > 0 {
			cs, err := listAll(ctx, func(o *github.ListOptions) ([]*github.PullRequestComment, *github.Response, error) {
				return gh.PullRequests.ListReviewComments(ctx, j.Owner, j.Repo, j.Number, id, o)
			})
			if err != nil {
				return nil, fmt.Errorf("reading the review's comments: %w", err)
			}
			for _, c := range cs {
				for _, fp := range comment.GitHubMarkers(c.GetBody()) {
					ids[fp] = c.GetID()
				}
			}
		}
		for _, f := range inline {
			save = append(save, store.Posted{Fingerprint: f.Fingerprint, CommentID: ids[f.Fingerprint], Path: f.File, Line: f.Line, HeadSHA: j.HeadSHA})
		}
		for _, f := range listed {
			save = append(save, store.Posted{Fingerprint: f.Fingerprint, Path: f.File, Line: f.Line, HeadSHA: j.HeadSHA})
		}
		s.m.findings.WithLabelValues("inline").Add(float64(len(inline)))
		s.m.findings.WithLabelValues("listed").Add(float64(len(listed)))
	}

	for fp, p := range known {
		if p.Resolved || current[fp] {
			continue
		}
		if c := ours[fp]; c != nil && !replied[c.GetID()] && !comment.GitHubIsResolved(c.GetBody()) {
			body := comment.GitHubResolved(c.GetBody(), j.HeadSHA)
			if _, _, err := gh.PullRequests.EditComment(ctx, j.Owner, j.Repo, c.GetID(), &github.PullRequestComment{Body: &body}); err != nil {
				return nil, fmt.Errorf("marking comment %d resolved: %w", c.GetID(), err)
			}
			out.closed++
			s.m.findings.WithLabelValues("resolved").Inc()
		}
		p.Resolved, p.HeadSHA = true, j.HeadSHA
		save = append(save, p)
	}
	if len(save) > 0 {
		if err := s.st.SavePosted(ctx, key, save); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Server) createReview(ctx context.Context, gh *github.Client, j *store.Job, rv *reviewed, opt comment.GitHubOptions,
	inline, listed []*review.Finding, stillOpen int) (int64, error) {
	body := comment.GitHubReviewBody(comment.GitHubReview{Inline: inline, Listed: listed, StillOpen: stillOpen,
		Resolved: len(rv.res.Resolved), Notes: rv.notes, Unknown: rv.res.Unknown, CallersNotSeen: rv.res.CallersNotSeen}, opt)
	req := &github.PullRequestReviewRequest{CommitID: github.String(j.HeadSHA), Body: &body, Event: github.String("COMMENT")}
	for _, f := range inline {
		req.Comments = append(req.Comments, &github.DraftReviewComment{Path: github.String(f.File), Line: github.Int(f.Line),
			Side: github.String("RIGHT"), Body: github.String(comment.GitHubComment(f, opt))})
	}
	r, _, err := gh.PullRequests.CreateReview(ctx, j.Owner, j.Repo, j.Number, req)
	if err != nil {
		return 0, err
	}
	return r.GetID(), nil
}

const checkName = "lockbot"

// startCheck marks the check run of the head in progress, creating it, or
// taking up the one an interrupted run of this job left. A rerequested
// check gets a new run, as GitHub expects.
func (s *Server) startCheck(ctx context.Context, gh *github.Client, j *store.Job) (int64, error) {
	rerun := strings.HasSuffix(j.Reason, ".rerequested")
	runs, _, err := gh.Checks.ListCheckRunsForRef(ctx, j.Owner, j.Repo, j.HeadSHA, &github.ListCheckRunsOptions{
		CheckName: github.String(checkName), AppID: github.Int64(s.cfg.AppID), Filter: github.String("latest")})
	if err != nil {
		return 0, fmt.Errorf("listing check runs: %w", err)
	}
	if runs == nil {
		runs = &github.ListCheckRunsResults{}
	}
	for _, r := range runs.CheckRuns {
		if r.GetStatus() != "completed" || !rerun {
			_, _, err := gh.Checks.UpdateCheckRun(ctx, j.Owner, j.Repo, r.GetID(), github.UpdateCheckRunOptions{
				Name: checkName, Status: github.String("in_progress")})
			if err != nil {
				return 0, fmt.Errorf("updating check run %d: %w", r.GetID(), err)
			}
			return r.GetID(), nil
		}
	}
	r, _, err := gh.Checks.CreateCheckRun(ctx, j.Owner, j.Repo, github.CreateCheckRunOptions{
		Name: checkName, HeadSHA: j.HeadSHA, Status: github.String("in_progress"), ExternalID: github.String(fmt.Sprint(j.ID))})
	if err != nil {
		return 0, fmt.Errorf("creating the check run: %w", err)
	}
	return r.GetID(), nil
}

// finishCheck completes the check run with the review's conclusion and
// its findings as annotations, 50 per request as GitHub takes them.
func (s *Server) finishCheck(ctx context.Context, gh *github.Client, j *store.Job, run int64, rv *reviewed, out *posted) error {
	var title, summary, conclusion string
	var anns []*github.CheckRunAnnotation
	if rv.skipped != "" {
		title, summary, conclusion = "Not reviewed", mdEscape(rv.skipped), rv.conclusion
	} else {
		title = comment.GitHubCheckTitle(rv.res)
		failing, _ := comment.Failing(rv.res, "error")
		conclusion = "success"
		if failing {
			conclusion = "failure"
		}
		rt := "PREEMPT_RT rules on"
		if rv.noRT {
			rt = "PREEMPT_RT rules off"
		}
		files := 0
		if rv.diff != nil {
			files = rv.diff.files
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Reviewed %d C %s of the pull request against %s (%s).", files, plural(files, "file", "files"), mdEscape(rv.base), rt)
		if out != nil && out.review != 0 {
			fmt.Fprintf(&b, " Posted review %d: %d inline %s.", out.review, out.inline, plural(out.inline, "comment", "comments"))
		}
		// GitHub refuses an output whose summary is over 65535
		// characters, and the run would stay in progress.
		for i, n := range rv.notes {
			// A note quotes a file name: the pull request's, anything.
			line := fmt.Sprintf("\n- Not reviewed: %s", mdEscape(n))
			if b.Len()+len(line) > maxSummary-100 {
				fmt.Fprintf(&b, "\n- and %d more files not reviewed", len(rv.notes)-i)
				break
			}
			b.WriteString(line)
		}
		summary = b.String()
		for _, f := range rv.res.Findings {
			if !f.Introduced {
				continue
			}
			level := "failure"
			switch f.Severity {
			case rules.Warning:
				level = "warning"
			case rules.Info:
				level = "notice"
			}
			msg, details := comment.GitHubAnnotation(f)
			anns = append(anns, &github.CheckRunAnnotation{Path: github.String(f.File), StartLine: github.Int(f.Line), EndLine: github.Int(f.Line),
				AnnotationLevel: github.String(level), Title: github.String(f.Rule), Message: github.String(msg), RawDetails: github.String(details)})
		}
	}
	for first := true; first || len(anns) > 0; first = false {
		batch := anns[:min(len(anns), maxAnnotations)]
		anns = anns[len(batch):]
		opt := github.UpdateCheckRunOptions{Name: checkName,
			Output: &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary), Annotations: batch}}
		if len(anns) == 0 {
			opt.Status, opt.Conclusion = github.String("completed"), github.String(conclusion)
			opt.CompletedAt = &github.Timestamp{Time: time.Now()}
		}
		if _, _, err := gh.Checks.UpdateCheckRun(ctx, j.Owner, j.Repo, run, opt); err != nil {
			return fmt.Errorf("completing check run %d: %w", run, err)
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdEscaper keeps text lockbot quotes (file names, branch names, error
// messages naming them) from being read as Markdown or HTML where GitHub
// renders it, as comment's ghEscape does, and more: "@" gets a
// zero-width space after it, so that a file named "@torvalds.c" mentions
// no one, and "&" is escaped, so that no entity ("&commat;") makes an
// "@" either.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "|", `\|`, "~", `\~`, "#", `\#`, "&", "&amp;", "@", "@\u200b")

func mdEscape(s string) string { return mdEscaper.Replace(s) }

// maxWhy bounds the reason a check run gives for a pull request not
// reviewed: an error's message can be long, a summary may not.
const maxWhy = 4000

// notReviewed completes the check run of a job that ends without a
// review (given up, timed out, failed on a bug) saying why: a run left in
// progress tells the author nothing, and stays so. The run may be one an
// earlier attempt, in a process since dead, created: every run of the
// head still in progress is completed. A job that failed before creating
// one creates one, completed, unless a run of an earlier job stands for
// the head (a re-run asks for a new one). It is best effort, on its own
// context: the job's may be over, and GitHub may be why the job failed.
func (s *Server) notReviewed(j *store.Job, why string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(why) > maxWhy {
		why = strings.ToValidUTF8(why[:maxWhy], "") + "…"
	}
	gh := s.apps.installation(j.Installation)
	runs, _, err := gh.Checks.ListCheckRunsForRef(ctx, j.Owner, j.Repo, j.HeadSHA, &github.ListCheckRunsOptions{
		CheckName: github.String(checkName), AppID: github.Int64(s.cfg.AppID), Filter: github.String("all"),
		ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		return fmt.Errorf("listing check runs: %w", err)
	}
	if runs == nil {
		runs = &github.ListCheckRunsResults{}
	}
	rv := &reviewed{skipped: why, conclusion: "neutral"}
	open := 0
	for _, r := range runs.CheckRuns {
		if r.GetStatus() == "completed" {
			continue
		}
		open++
		if err := s.finishCheck(ctx, gh, j, r.GetID(), rv, nil); err != nil {
			return err
		}
	}
	if open > 0 || len(runs.CheckRuns) > 0 && !strings.HasSuffix(j.Reason, ".rerequested") {
		return nil
	}
	_, _, err = gh.Checks.CreateCheckRun(ctx, j.Owner, j.Repo, github.CreateCheckRunOptions{
		Name: checkName, HeadSHA: j.HeadSHA, ExternalID: github.String(fmt.Sprint(j.ID)),
		Status: github.String("completed"), Conclusion: github.String(rv.conclusion), CompletedAt: &github.Timestamp{Time: time.Now()},
		Output: &github.CheckRunOutput{Title: github.String("Not reviewed"), Summary: github.String(mdEscape(why))}})
	if err != nil {
		return fmt.Errorf("creating the check run: %w", err)
	}
	return nil
}
