// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// deliverer sends a reply somewhere.
type deliverer interface {
	name() string
	deliver(ctx context.Context, r *replyRecord) error
}

// checker is a deliverer that can tell whether a reply reached it, so that
// a delivery a crash interrupted is neither lost nor done twice. SMTP
// cannot tell.
type checker interface {
	delivered(r *replyRecord) (bool, error)
}

// permanentError is a delivery that retrying will not mend (a 5xx reply).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// rcptError is an SMTP transaction that did not end the same way for
// every recipient: the server took the reply for some, refused it for
// good to others (a 5xx), and for now to the rest (a 4xx, or a failure
// after RCPT TO that is worth a retry).
type rcptError struct {
	accepted []string
	refused  map[string]error
	deferred map[string]error
}

func (e *rcptError) Error() string {
	var parts []string
	for _, m := range []struct {
		what string
		errs map[string]error
	}{{"refused", e.refused}, {"deferred", e.deferred}} {
		for _, a := range slices.Sorted(maps.Keys(m.errs)) {
			parts = append(parts, fmt.Sprintf("%s %s: %v", m.what, a, m.errs[a]))
		}
	}
	return fmt.Sprintf("accepted for %d recipients; %s", len(e.accepted), strings.Join(parts, "; "))
}

// Via names.
const (
	viaMaildir = "maildir"
	viaMbox    = "mbox"
	viaSMTP    = "smtp"
	viaPrint   = "dry-run"
)

// maildirOutbox writes each reply as a file of a Maildir's new/, for a
// person to read, edit and send. The file's name is made from the reply's
// Message-ID, so that whether it was written is a stat away. Written by
// hand: the Maildir libraries for Go (emersion/go-maildir) are not served
// by the module proxy here, and delivery is ten lines of tmp/ then rename.
type maildirOutbox struct{ dir string }

func (maildirOutbox) name() string { return viaMaildir }

func (o maildirOutbox) file(r *replyRecord) string {
	sum := sha256.Sum256([]byte(r.ID))
	return "lockbot-" + hex.EncodeToString(sum[:12])
}

func (o maildirOutbox) deliver(_ context.Context, r *replyRecord) error {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(o.dir, sub), 0o700); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	if ok, err := o.delivered(r); err != nil || ok {
		return err
	}
	name := o.file(r)
	tmp := filepath.Join(o.dir, "tmp", name)
	if err := writeSynced(tmp, r.Raw); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(o.dir, "new", name)); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return syncDir(filepath.Join(o.dir, "new"))
}

func (o maildirOutbox) delivered(r *replyRecord) (bool, error) {
	name := o.file(r)
	if _, err := os.Stat(filepath.Join(o.dir, "new", name)); err == nil {
		return true, nil
	}
	// A mail reader moves what it has shown to cur/, adding flags.
	m, err := filepath.Glob(filepath.Join(o.dir, "cur", name+"*"))
	return len(m) > 0, err
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// mboxOutbox appends each reply to an mbox (mboxrd: body lines starting
// with "From ", after any '>', get one more '>').
//
// A crash after the append and before the reply is recorded sent leaves
// it "sending"; the next run finds its Message-ID in the mbox and records
// it sent, so it is not written twice. A crash in the middle of the
// append (power lost before the fsync) can leave the start of the entry
// at the end of the file: each entry's bytes are a function of the reply
// alone (its From line carries the reply's creation time), so such a
// torn tail is recognised as the start of this reply's entry, cut off,
// and the entry written whole. Anything else at the end of the file (a
// mail reader's edits) is never cut.
type mboxOutbox struct{ path string }

func (mboxOutbox) name() string { return viaMbox }

// entry is the reply as the mbox holds it, separating blank line
// included.
func (mboxOutbox) entry(r *replyRecord) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From %s %s\n", envelopeAddr(r.From), r.Created.UTC().Format(time.ANSIC))
	for _, l := range strings.SplitAfter(string(r.Raw), "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, ">"), "From ") {
			b.WriteByte('>')
		}
		b.WriteString(l)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func (o mboxOutbox) deliver(_ context.Context, r *replyRecord) error {
	ok, data, err := o.settle(r)
	if err != nil || ok {
		return err
	}
	var b bytes.Buffer
	// An mbox whose last mail does not end in a blank line (another
	// writer's) still gets this one as a mail of its own.
	switch {
	case len(data) == 0 || bytes.HasSuffix(data, []byte("\n\n")):
	case bytes.HasSuffix(data, []byte("\n")):
		b.WriteByte('\n')
	default:
		b.WriteString("\n\n")
	}
	b.Write(o.entry(r))
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("outbox: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("outbox: %w", err)
	}
	return f.Close()
}

// delivered looks for the reply's Message-ID header in the mbox, once a
// torn tail of its entry is cut off.
func (o mboxOutbox) delivered(r *replyRecord) (bool, error) {
	ok, _, err := o.settle(r)
	return ok, err
}

// settle cuts a torn start of r's entry off the end of the mbox, then
// reports whether the mbox holds r, and what it holds.
func (o mboxOutbox) settle(r *replyRecord) (bool, []byte, error) {
	data, err := os.ReadFile(o.path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("outbox: %w", err)
	}
	if at := tornAt(data, o.entry(r)); at >= 0 {
		if err := os.Truncate(o.path, int64(at)); err != nil {
			return false, nil, fmt.Errorf("outbox: cutting a torn reply: %w", err)
		}
		data = data[:at]
	}
	want := []byte("\nmessage-id: <" + strings.ToLower(r.ID) + ">\n")
	return bytes.Contains(bytes.ToLower(data), want), data, nil
}

// tornAt is where data ends in a part of entry cut short: the first line
// start from which the rest of data is a proper prefix of entry, or -1.
// An entry starts with its own From line and holds its own Message-ID,
// so no other mail's end is a prefix of it.
func tornAt(data, entry []byte) int {
	for p := max(0, len(data)-len(entry)+1); p < len(data); p++ {
		if (p == 0 || data[p-1] == '\n') && bytes.HasPrefix(entry, data[p:]) {
			return p
		}
	}
	return -1
}

func envelopeAddr(s string) string {
	if s == "" {
		return "MAILER-DAEMON"
	}
	return s
}

// smtpSender delivers over SMTP with github.com/emersion/go-smtp:
// STARTTLS (required unless tls is "none"), AUTH PLAIN after it.
type smtpSender struct {
	cfg      SMTPConfig
	password string
	roots    *x509.CertPool
}

func newSMTPSender(cfg SMTPConfig) (*smtpSender, error) {
	if cfg.Server == "" {
		return nil, errors.New("--send: smtp.server is not configured")
	}
	if _, _, err := net.SplitHostPort(cfg.Server); err != nil {
		return nil, fmt.Errorf("smtp.server %q: %w", cfg.Server, err)
	}
	s := &smtpSender{cfg: cfg}
	switch {
	case cfg.PasswordFile != "":
		data, err := readSecret("smtp.password_file", cfg.PasswordFile)
		if err != nil {
			return nil, err
		}
		s.password = strings.TrimRight(string(data), "\r\n")
	case cfg.PasswordEnv != "":
		s.password = os.Getenv(cfg.PasswordEnv)
	}
	if cfg.Username != "" && cfg.TLS == "none" {
		return nil, errors.New("smtp: AUTH without TLS would send the password in the clear; set tls to starttls or tls")
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp.ca_file: %w", err)
		}
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp.ca_file %s: no certificate", cfg.CAFile)
		}
	}
	return s, nil
}

func (*smtpSender) name() string { return viaSMTP }

func (s *smtpSender) deliver(ctx context.Context, r *replyRecord) error {
	timeout := seconds(s.cfg.TimeoutSeconds)
	host, _, _ := net.SplitHostPort(s.cfg.Server)
	tlsCfg := &tls.Config{ServerName: host, RootCAs: s.roots, MinVersion: tls.VersionTLS12}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Server)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg.Server, err)
	}
	// One deadline for the whole transaction: a server that stalls
	// costs a retry, not a hung responder.
	conn.SetDeadline(time.Now().Add(timeout))
	var c *smtp.Client
	switch s.cfg.TLS {
	case "starttls":
		c, err = smtp.NewClientStartTLS(conn, tlsCfg)
		if err != nil {
			conn.Close()
			var se *smtp.SMTPError
			if !errors.As(err, &se) && strings.Contains(err.Error(), "doesn't support STARTTLS") {
				// Not a passing failure: never send in the clear.
				return permanentError{fmt.Errorf("smtp %s: %w", s.cfg.Server, err)}
			}
			return smtpErr(s.cfg.Server, err)
		}
	case "tls":
		c = smtp.NewClient(tls.Client(conn, tlsCfg))
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if err := c.Hello(s.helo()); err != nil {
		return smtpErr(s.cfg.Server, err)
	}
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.password)); err != nil {
			return smtpErr(s.cfg.Server, err)
		}
	}
	if err := c.Mail(r.From, nil); err != nil {
		return smtpErr(s.cfg.Server, err)
	}
	// Each recipient is answered on its own (RFC 5321, 3.3): a Cc the
	// server refuses does not keep the reply from the author or the
	// list; it is sent to those it accepts.
	re := &rcptError{refused: map[string]error{}, deferred: map[string]error{}}
	var rcpt []string
	for _, to := range r.pending() {
		err := c.Rcpt(to, nil)
		var se *smtp.SMTPError
		switch {
		case err == nil:
			rcpt = append(rcpt, to)
		case !errors.As(err, &se):
			// The connection, not the recipient: the whole attempt.
			return smtpErr(s.cfg.Server, err)
		case se.Code >= 500:
			re.refused[to] = fmt.Errorf("smtp %s: %w", s.cfg.Server, err)
		default:
			re.deferred[to] = fmt.Errorf("smtp %s: %w", s.cfg.Server, err)
		}
	}
	split := len(re.refused)+len(re.deferred) > 0
	if len(rcpt) == 0 {
		_ = c.Quit()
		return re
	}
	if err := s.data(c, r.Raw); err != nil {
		if !split {
			return smtpErr(s.cfg.Server, err)
		}
		// The message itself failed, for each recipient that had
		// accepted it.
		to := re.deferred
		if _, ok := smtpErr(s.cfg.Server, err).(permanentError); ok {
			to = re.refused
		}
		for _, a := range rcpt {
			to[a] = fmt.Errorf("smtp %s: %w", s.cfg.Server, err)
		}
		return re
	}
	// Accepted: a failing QUIT changes nothing.
	_ = c.Quit()
	if split {
		re.accepted = rcpt
		return re
	}
	return nil
}

func (s *smtpSender) data(c *smtp.Client, raw []byte) error {
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, bytes.NewReader(raw)); err != nil {
		return err
	}
	return w.Close()
}

func (s *smtpSender) helo() string {
	if s.cfg.Helo != "" {
		return s.cfg.Helo
	}
	return "localhost"
}

// smtpErr keeps a 5xx reply permanent; anything else (4xx, a connection
// lost) is retried later.
func smtpErr(server string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return permanentError{fmt.Errorf("smtp %s: %w", server, err)}
	}
	return fmt.Errorf("smtp %s: %w", server, err)
}

// printer is --dry-run's deliverer: it shows each reply.
type printer struct{ w io.Writer }

func (printer) name() string { return viaPrint }

func (p printer) deliver(_ context.Context, r *replyRecord) error {
	_, err := fmt.Fprintf(p.w, "=== lockbot lore would send <%s> to %s\n%s\n", r.ID, strings.Join(r.Rcpt, ", "), r.Raw)
	return err
}
