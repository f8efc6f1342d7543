// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server on loopback (go-smtp's): STARTTLS with a
// certificate made for the test, AUTH PLAIN only over TLS, and failures on
// demand in the middle of DATA.
type smtpServer struct {
	addr   string
	caFile string

	mu       sync.Mutex
	failNext []string // "drop" (close the connection mid-DATA) or "451"
	// rcptCodes are the answers to RCPT TO for an address, one per try
	// (then it is accepted); rcptTries counts the tries.
	rcptCodes map[string][]int
	rcptTries map[string]int
	accepted  []smtpMail
	authed    int
}

type smtpMail struct {
	from string
	rcpt []string
	data []byte
	tls  bool
}

func newSMTPServer(t *testing.T, withTLS bool) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s, conn: c}, nil })
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = false
	if withTLS {
		cert, caPEM := testCert(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.caFile = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(s.caFile, caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) fail(modes ...string) {
	s.mu.Lock()
	s.failNext = append(s.failNext, modes...)
	s.mu.Unlock()
}

func (s *smtpServer) mails() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.accepted...)
}

type smtpSession struct {
	srv    *smtpServer
	conn   *smtp.Conn
	authed bool
	from   string
	rcpt   []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "lockbot" || password != "s3cret" {
			return errors.New("bad credentials")
		}
		s.authed = true
		s.srv.mu.Lock()
		s.srv.authed++
		s.srv.mu.Unlock()
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	code := 0
	if s.srv.rcptTries == nil {
		s.srv.rcptTries = map[string]int{}
	}
	s.srv.rcptTries[to]++
	if cs := s.srv.rcptCodes[to]; len(cs) > 0 {
		code, s.srv.rcptCodes[to] = cs[0], cs[1:]
	}
	s.srv.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "not for " + to}
	}
	s.rcpt = append(s.rcpt, to)
	return nil
}

func (s *smtpServer) refuseRcpt(addr string, codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rcptCodes == nil {
		s.rcptCodes = map[string][]int{}
	}
	s.rcptCodes[addr] = append(s.rcptCodes[addr], codes...)
}

func (s *smtpServer) tries(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcptTries[addr]
}

func (s *smtpSession) Data(r io.Reader) error {
	s.srv.mu.Lock()
	mode := ""
	if len(s.srv.failNext) > 0 {
		mode, s.srv.failNext = s.srv.failNext[0], s.srv.failNext[1:]
	}
	s.srv.mu.Unlock()
	switch mode {
	case "drop":
		// Part of the message, then the connection is gone: nothing is
		// accepted.
		io.ReadFull(r, make([]byte, 200))
		s.conn.Conn().Close()
		return errors.New("dropped")
	case "451":
		io.Copy(io.Discard, r)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.accepted = append(s.srv.accepted, smtpMail{from: s.from, rcpt: s.rcpt, data: data, tls: isTLS})
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.rcpt = "", nil }
func (s *smtpSession) Logout() error { return nil }

// testCert is a self-signed certificate for 127.0.0.1, and its PEM.
func testCert(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lockbot test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func smtpConfig(t *testing.T, srv *smtpServer, tlsMode string) string {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("smtp:\n  server: %q\n  tls: %s\n  username: lockbot\n  password_file: %s\n  ca_file: %q\n  timeout_seconds: 5\n  retry_seconds: 60\n",
		srv.addr, tlsMode, pw, srv.caFile)
}

// TestSMTPRetry delivers the reply to patch 2 of sleep.mbox over SMTP to a
// server that drops the connection in the middle of DATA, then answers 451:
// the reply is retried on later runs (not before its back-off) and the
// server accepts it exactly once.
func TestSMTPRetry(t *testing.T) {
	repo := kernelRepo(t)
	srv := newSMTPServer(t, true)
	srv.fail("drop", "451")
	mbox, _ := filepath.Abs(filepath.Join(loreData, "sleep.mbox"))
	cfg := botConfig(t, repo, "mbox: "+mbox, "", smtpConfig(t, srv, "starttls"))
	c := newClock()
	b := openBot(t, cfg, c, Options{Send: true})

	rep := runBot(t, b)
	if rep.Queued != 1 || rep.Delivered != 0 || rep.Failed != 1 || len(srv.mails()) != 0 {
		t.Fatalf("first run: %+v, %d accepted; want 1 queued, the attempt failed, none accepted", rep, len(srv.mails()))
	}
	// Before the back-off ends, nothing is tried.
	c.advance(30 * time.Second)
	if rep := runBot(t, b); rep.Delivered+rep.Failed != 0 {
		t.Fatalf("run within the back-off: %+v; want no attempt", rep)
	}
	c.advance(31 * time.Second)
	if rep := runBot(t, b); rep.Delivered != 0 || rep.Failed != 1 {
		t.Fatalf("second attempt (451): %+v; want a failed attempt", rep)
	}
	c.advance(2 * time.Minute)
	if rep := runBot(t, b); rep.Delivered != 1 || rep.Failed != 0 {
		t.Fatalf("third attempt: %+v; want the reply delivered", rep)
	}
	for range 2 {
		c.advance(time.Hour)
		if rep := runBot(t, b); rep.Delivered+rep.Failed+rep.Queued != 0 {
			t.Fatalf("run after delivery: %+v; want nothing", rep)
		}
	}
	mails := srv.mails()
	if len(mails) != 1 {
		t.Fatalf("the server accepted %d mails, want 1", len(mails))
	}
	m := mails[0]
	if !m.tls || srv.authed < 1 {
		t.Errorf("delivered without TLS (%v) or without AUTH (%d)", m.tls, srv.authed)
	}
	if m.from != "lockbot@lockbot.example.org" || strings.Join(m.rcpt, ",") != "ada@example.org,"+listAddr {
		t.Errorf("envelope %s -> %v", m.from, m.rcpt)
	}
	checkSleepReply(t, bytes.ReplaceAll(m.data, []byte("\r\n"), []byte("\n")), "base-commit 826bf2768269")
	counts, _ := b.Store().Counts()
	if counts.Replies[ReplySent] != 1 || len(counts.Replies) != 1 {
		t.Errorf("replies %v, want one sent", counts.Replies)
	}
}

// TestSMTPNoSTARTTLS: a server without STARTTLS never gets the reply, nor
// the password; the failure is permanent, not retried.
func TestSMTPNoSTARTTLS(t *testing.T) {
	repo := kernelRepo(t)
	srv := newSMTPServer(t, false)
	mbox, _ := filepath.Abs(filepath.Join(loreData, "sleep.mbox"))
	cfg := botConfig(t, repo, "mbox: "+mbox, "", smtpConfig(t, srv, "starttls"))
	c := newClock()
	b := openBot(t, cfg, c, Options{Send: true})
	if rep := runBot(t, b); rep.Delivered != 0 || rep.Failed != 1 {
		t.Fatalf("run: %+v; want one failed attempt", rep)
	}
	c.advance(48 * time.Hour)
	if rep := runBot(t, b); rep.Delivered+rep.Failed != 0 {
		t.Fatalf("later run: %+v; want no new attempt", rep)
	}
	if len(srv.mails()) != 0 || srv.authed != 0 {
		t.Errorf("%d mails, %d authentications on a server without TLS", len(srv.mails()), srv.authed)
	}
	counts, _ := b.Store().Counts()
	if counts.Replies[ReplyFailed] != 1 {
		t.Errorf("replies %v, want one failed", counts.Replies)
	}
}

// sleepAllMbox is sleep.mbox with a second person in the patch's To and
// Cc, for reply_to: all.
func sleepAllMbox(t *testing.T) string {
	var mails [][]byte
	for _, m := range mboxMails(t, "sleep.mbox") {
		mails = append(mails, bytes.ReplaceAll(m, []byte("To: "+listAddr+"\n"), []byte("To: "+listAddr+"\nCc: Rita <rita@example.org>\n")))
	}
	return writeMbox(t, mails...)
}

// TestSMTPRecipientRefused: the server refuses the author for good (550)
// and a Cc for now (450). The list gets the reply at once, the Cc on the
// retry, each once; the author is not asked again.
func TestSMTPRecipientRefused(t *testing.T) {
	repo := kernelRepo(t)
	srv := newSMTPServer(t, true)
	srv.refuseRcpt("ada@example.org", 550)
	srv.refuseRcpt("rita@example.org", 450)
	cfg := botConfig(t, repo, "mbox: "+sleepAllMbox(t), "reply_to: all", smtpConfig(t, srv, "starttls"))
	c := newClock()
	b := openBot(t, cfg, c, Options{Send: true})
	if rep := runBot(t, b); rep.Queued != 1 || rep.Delivered != 0 || rep.Failed != 1 {
		t.Fatalf("first run: %+v; want one reply queued, its attempt leaving the Cc for later", rep)
	}
	if m := srv.mails(); len(m) != 1 || strings.Join(m[0].rcpt, ",") != listAddr {
		t.Fatalf("after the first attempt the server holds %+v; want one mail, to the list", m)
	}
	c.advance(61 * time.Second)
	if rep := runBot(t, b); rep.Delivered != 1 || rep.Failed != 0 {
		t.Fatalf("retry: %+v; want the reply delivered", rep)
	}
	for range 2 {
		c.advance(time.Hour)
		if rep := runBot(t, b); rep.Delivered+rep.Failed != 0 {
			t.Fatalf("run after delivery: %+v; want nothing", rep)
		}
	}
	mails := srv.mails()
	var got []string
	for _, m := range mails {
		got = append(got, strings.Join(m.rcpt, ","))
	}
	if strings.Join(got, " ") != listAddr+" rita@example.org" {
		t.Errorf("mails accepted for %q; want the list's, then rita's", got)
	}
	if n := srv.tries("ada@example.org"); n != 1 {
		t.Errorf("the author refused for good was tried %d times, want 1", n)
	}
	rs := replies(t, b)
	if len(rs) != 1 || rs[0].State != ReplySent || rs[0].Refused["ada@example.org"] == "" || len(rs[0].Accepted) != 2 {
		t.Errorf("reply %s, accepted %v, refused %v; want it sent, ada refused, the other two accepted", rs[0].State, rs[0].Accepted, rs[0].Refused)
	}
	var status bytes.Buffer
	if err := b.Store().Status(&status); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status.String(), ": sent after 2 attempts") || !strings.Contains(status.String(), "  refused by ada@example.org: smtp ") {
		t.Errorf("--status says:\n%s\nwant the reply sent, ada refused", status.String())
	}
}

// TestSMTPAllRecipientsRefused: every recipient refused for good is a
// failed reply, no DATA and no retry.
func TestSMTPAllRecipientsRefused(t *testing.T) {
	repo := kernelRepo(t)
	srv := newSMTPServer(t, true)
	srv.refuseRcpt("ada@example.org", 550)
	srv.refuseRcpt(listAddr, 551)
	mbox, _ := filepath.Abs(filepath.Join(loreData, "sleep.mbox"))
	cfg := botConfig(t, repo, "mbox: "+mbox, "", smtpConfig(t, srv, "starttls"))
	c := newClock()
	b := openBot(t, cfg, c, Options{Send: true})
	if rep := runBot(t, b); rep.Delivered != 0 || rep.Failed != 1 {
		t.Fatalf("run: %+v; want one failed attempt", rep)
	}
	c.advance(48 * time.Hour)
	if rep := runBot(t, b); rep.Delivered+rep.Failed != 0 {
		t.Fatalf("later run: %+v; want no new attempt", rep)
	}
	if n := len(srv.mails()); n != 0 || srv.tries("ada@example.org") != 1 {
		t.Errorf("%d mails, %d tries of the author; want none, one", n, srv.tries("ada@example.org"))
	}
	if rs := replies(t, b); rs[0].State != ReplyFailed {
		t.Errorf("reply %s, want failed", rs[0].State)
	}
}

// TestSMTPDataFailsAfterSplit: with one recipient deferred, a 451 to
// the message leaves the accepted ones for the retry too; each gets it
// once in the end.
func TestSMTPDataFailsAfterSplit(t *testing.T) {
	repo := kernelRepo(t)
	srv := newSMTPServer(t, true)
	srv.refuseRcpt("ada@example.org", 450)
	srv.fail("451")
	mbox, _ := filepath.Abs(filepath.Join(loreData, "sleep.mbox"))
	cfg := botConfig(t, repo, "mbox: "+mbox, "", smtpConfig(t, srv, "starttls"))
	c := newClock()
	b := openBot(t, cfg, c, Options{Send: true})
	if rep := runBot(t, b); rep.Delivered != 0 || rep.Failed != 1 {
		t.Fatalf("run: %+v; want one failed attempt", rep)
	}
	c.advance(61 * time.Second)
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("retry: %+v; want the reply delivered", rep)
	}
	if m := srv.mails(); len(m) != 1 || strings.Join(m[0].rcpt, ",") != "ada@example.org,"+listAddr {
		t.Errorf("mails %+v; want one, to both", m)
	}
}
