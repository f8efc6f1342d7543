// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the responder's configuration file:
//
//	state: lore.db                  # the state database (one bbolt file)
//	from: "lockbot <lockbot@example.org>"
//	kernel:
//	  repo: /srv/linux              # a git repository with the lists' trees
//	  branch: master                # the base when a series names no base-commit it has
//	outbox: {path: outbox, format: maildir}   # default delivery (maildir or mbox)
//	smtp: {server: "smtp.example.org:587", tls: starttls, username: lockbot, password_file: pw}
//	lists:
//	  - name: linux-quux
//	    address: linux-quux@lists.example.org
//	    inbox: /srv/lore/linux-quux    # public-inbox v2; or mbox: FILE, or maildir: DIR
//	    reply_to: author+list          # author, author+list or all
//	    embargo_hours: 2
//	    prefixes: [PATCH]
//
// Relative paths are relative to the file's directory. Unknown keys are
// errors.
type Config struct {
	State string `yaml:"state"`
	From  string `yaml:"from"`
	// Archive is the list archive's link prefix for a Message-ID
	// ("https://lore.kernel.org/r/", the default): replies link the
	// patch, and close their own link in their credit lines. "none": no
	// links.
	Archive string       `yaml:"archive"`
	Kernel  KernelConfig `yaml:"kernel"`
	Outbox  OutboxConfig `yaml:"outbox"`
	SMTP    SMTPConfig   `yaml:"smtp"`
	Limits  Limits       `yaml:"limits"`
	Lists   []*List      `yaml:"lists"`

	dir string
}

// KernelConfig is the repository series are reviewed against.
type KernelConfig struct {
	Repo   string `yaml:"repo"`
	Branch string `yaml:"branch"`
	// Settings is a .lockbot.yaml to use for every review instead of the
	// one at the base commit.
	Settings string `yaml:"settings"`
	// Index is a `lockbot index` database of the tree (optional).
	Index string   `yaml:"index"`
	KB    []string `yaml:"kb"`
	// IncludeDepth is check's --include-depth.
	IncludeDepth *int `yaml:"include_depth"`
	// Kconfig is check's --kconfig: a .config, or none; "": the
	// repository's .config, else Debian's x86_64 configuration.
	Kconfig string `yaml:"kconfig"`
}

// OutboxConfig is where replies go without --send.
type OutboxConfig struct {
	Path   string `yaml:"path"`
	Format string `yaml:"format"` // maildir (default) or mbox
}

// SMTPConfig is the server --send delivers to.
type SMTPConfig struct {
	Server string `yaml:"server"` // host:port
	// TLS is starttls (the default: refuse a server without it), tls
	// (implicit, port 465) or none (only for a relay on loopback).
	TLS          string `yaml:"tls"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// CAFile is a PEM bundle to verify the server with, instead of the
	// system's roots.
	CAFile         string  `yaml:"ca_file"`
	Helo           string  `yaml:"helo"`
	TimeoutSeconds float64 `yaml:"timeout_seconds"`
	// MaxAttempts bounds the tries of one reply (default 10); retries back
	// off from RetrySeconds (default 300), doubling.
	MaxAttempts  int     `yaml:"max_attempts"`
	RetrySeconds float64 `yaml:"retry_seconds"`
}

// Limits bound what the responder accepts from a list: mail is untrusted.
type Limits struct {
	MessageBytes  int64   `yaml:"message_bytes"`  // one mail; default 4 MiB
	SeriesPatches int     `yaml:"series_patches"` // default 50
	SeriesBytes   int64   `yaml:"series_bytes"`   // default 16 MiB
	ReviewSeconds float64 `yaml:"review_seconds"` // one series; default 120
	// RunMessages bounds the messages one run reads from one list (the
	// rest wait for the next run); default 100000.
	RunMessages int `yaml:"run_messages"`
}

// List is one mailing list the responder follows and its policy.
type List struct {
	Name    string `yaml:"name"`
	Address string `yaml:"address"`
	// Exactly one source: a public-inbox v2 directory, an mbox, a Maildir.
	Inbox   string `yaml:"inbox"`
	Mbox    string `yaml:"mbox"`
	Maildir string `yaml:"maildir"`
	// Enabled false reads and records the list's mail but reviews and
	// sends nothing for it: an emergency stop. Turned back on, the list
	// is not sent what was queued or open before (those replies are
	// recorded stale, those series list-off), nor what came meanwhile.
	Enabled *bool `yaml:"enabled"`
	// ReplyTo is author, author+list (default) or all (the author and
	// the patch's own To and Cc).
	ReplyTo string   `yaml:"reply_to"`
	Cc      []string `yaml:"cc"`
	// EmbargoHours holds a reply that long after the series arrived.
	EmbargoHours float64 `yaml:"embargo_hours"`
	// Prefixes are the subject tags followed (default [PATCH]).
	Prefixes []string `yaml:"prefixes"`
	// MaxAgeHours: series dated older than that get no review, and a
	// reply due when its series is older than that is not sent (default
	// 168; 0 is the default, a negative value means no limit).
	MaxAgeHours float64 `yaml:"max_age_hours"`
	// WaitHours is how long an incomplete series waits for its missing
	// patches before the patches in order from 1 are reviewed (default 24).
	WaitHours float64 `yaml:"wait_hours"`
	// ReplyClean sends a short reply to patches with no finding too.
	ReplyClean bool `yaml:"reply_clean"`
	// ApplyNote replies with a fixed short note to a series that does not
	// apply to its base (default: a log line only).
	ApplyNote bool `yaml:"apply_note"`
	// Start "now" on the first run skips what the archive already holds.
	Start string `yaml:"start"`
}

// Defaults.
const (
	defaultMessageBytes  = 4 << 20
	defaultSeriesPatches = 50
	defaultSeriesBytes   = 16 << 20
	defaultReviewSeconds = 120
	defaultRunMessages   = 100000
	defaultMaxAgeHours   = 168
	defaultWaitHours     = 24
	defaultMaxAttempts   = 10
	defaultRetrySeconds  = 300
	maxConfigBytes       = 1 << 20
)

// LoadConfig reads and checks a configuration file.
func LoadConfig(path string) (*Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("lore config: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxConfigBytes {
		return nil, fmt.Errorf("lore config %s: not a regular file of at most %d bytes", path, maxConfigBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lore config: %w", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("lore config: %w", err)
	}
	c, err := ParseConfig(data, dir)
	if err != nil {
		return nil, fmt.Errorf("lore config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads a configuration; relative paths are taken from dir.
func ParseConfig(data []byte, dir string) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := &Config{}
	if err := dec.Decode(c); err != nil {
		return nil, err
	}
	c.dir = dir
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *Config) check() error {
	if c.State == "" {
		return errors.New("state: the state database file is required")
	}
	c.State = c.path(c.State)
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("from %q: %w", c.From, err)
	}
	if c.Kernel.Repo == "" {
		return errors.New("kernel.repo: the kernel repository is required")
	}
	c.Kernel.Repo = c.path(c.Kernel.Repo)
	if c.Kernel.Branch == "" {
		c.Kernel.Branch = "HEAD"
	}
	c.Kernel.Settings = c.path(c.Kernel.Settings)
	c.Kernel.Index = c.path(c.Kernel.Index)
	for i, k := range c.Kernel.KB {
		c.Kernel.KB[i] = c.path(k)
	}
	if c.Kernel.IncludeDepth == nil {
		d := 2
		c.Kernel.IncludeDepth = &d
	}
	c.Outbox.Path = c.path(c.Outbox.Path)
	switch c.Outbox.Format {
	case "":
		c.Outbox.Format = "maildir"
	case "maildir", "mbox":
	default:
		return fmt.Errorf("outbox.format %q: maildir or mbox", c.Outbox.Format)
	}
	switch c.SMTP.TLS {
	case "":
		c.SMTP.TLS = "starttls"
	case "starttls", "tls", "none":
	default:
		return fmt.Errorf("smtp.tls %q: starttls, tls or none", c.SMTP.TLS)
	}
	c.SMTP.PasswordFile = c.path(c.SMTP.PasswordFile)
	c.SMTP.CAFile = c.path(c.SMTP.CAFile)
	if c.SMTP.MaxAttempts <= 0 {
		c.SMTP.MaxAttempts = defaultMaxAttempts
	}
	if c.SMTP.RetrySeconds <= 0 {
		c.SMTP.RetrySeconds = defaultRetrySeconds
	}
	if c.SMTP.TimeoutSeconds <= 0 {
		c.SMTP.TimeoutSeconds = 60
	}
	l := &c.Limits
	if l.MessageBytes <= 0 {
		l.MessageBytes = defaultMessageBytes
	}
	if l.SeriesPatches <= 0 {
		l.SeriesPatches = defaultSeriesPatches
	}
	if l.SeriesBytes <= 0 {
		l.SeriesBytes = defaultSeriesBytes
	}
	if l.ReviewSeconds <= 0 {
		l.ReviewSeconds = defaultReviewSeconds
	}
	if l.RunMessages <= 0 {
		l.RunMessages = defaultRunMessages
	}
	if len(c.Lists) == 0 {
		return errors.New("lists: no list to follow")
	}
	names := map[string]bool{}
	for i, li := range c.Lists {
		if li == nil {
			return fmt.Errorf("lists[%d]: empty", i)
		}
		if li.Name == "" || strings.ContainsAny(li.Name, "\x00/") {
			return fmt.Errorf("lists[%d]: a name (without '/') is required", i)
		}
		if names[li.Name] {
			return fmt.Errorf("lists: %s twice", li.Name)
		}
		names[li.Name] = true
		if err := li.check(c); err != nil {
			return fmt.Errorf("list %s: %w", li.Name, err)
		}
	}
	return nil
}

func (li *List) check(c *Config) error {
	n := 0
	for _, p := range []*string{&li.Inbox, &li.Mbox, &li.Maildir} {
		if *p != "" {
			n++
			*p = c.path(*p)
		}
	}
	if n != 1 {
		return errors.New("exactly one of inbox, mbox and maildir is required")
	}
	if _, err := mail.ParseAddress(li.Address); err != nil {
		return fmt.Errorf("address %q: %w", li.Address, err)
	}
	switch li.ReplyTo {
	case "":
		li.ReplyTo = "author+list"
	case "author", "author+list", "all":
	default:
		return fmt.Errorf("reply_to %q: author, author+list or all", li.ReplyTo)
	}
	for _, a := range li.Cc {
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("cc %q: %w", a, err)
		}
	}
	if len(li.Prefixes) == 0 {
		li.Prefixes = []string{"PATCH"}
	}
	if li.MaxAgeHours == 0 {
		li.MaxAgeHours = defaultMaxAgeHours
	}
	if li.WaitHours <= 0 {
		li.WaitHours = defaultWaitHours
	}
	if li.EmbargoHours < 0 {
		return errors.New("embargo_hours must not be negative")
	}
	if li.MaxAgeHours > 0 && li.EmbargoHours >= li.MaxAgeHours {
		// A reply held past max_age_hours is never sent (see stale).
		return fmt.Errorf("embargo_hours (%g) must be below max_age_hours (%g)", li.EmbargoHours, li.MaxAgeHours)
	}
	switch li.Start {
	case "", "beginning", "now":
	default:
		return fmt.Errorf("start %q: beginning or now", li.Start)
	}
	return nil
}

// On reports whether the list's series are reviewed and answered.
func (li *List) On() bool { return li.Enabled == nil || *li.Enabled }

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
