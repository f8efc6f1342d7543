// SPDX-License-Identifier: GPL-2.0-only

// Package lore is the mailing-list responder: it follows public-inbox
// archives (what lore.kernel.org serves), mboxes or Maildirs, groups the
// patches posted into series, reviews each complete series with the same
// review as `lockbot check` against a configured kernel repository, and
// writes one reply per patch that introduces a finding, to an outbox or
// over SMTP. Its state (messages seen, series, replies) is one bbolt file
// keyed by Message-ID, so that a restart neither sends a reply twice nor
// skips a message.
package lore

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// Message is what the responder reads of a mail: the headers that thread,
// classify and address it, and the raw bytes for the review.
type Message struct {
	// ID is the Message-ID without angle brackets; a mail without one gets
	// an ID made from its content, so that it is still seen only once.
	ID         string
	InReplyTo  string
	References []string
	// From is the sender as an address a header can carry (the name
	// RFC 2047-encoded when it must be), or the header decoded when it
	// does not parse; FromAddr its address, lower case, "" when it does
	// not parse.
	From, FromAddr string
	// To and Cc are the addresses, as a header writes them.
	To, Cc []string
	// Subject is decoded and unfolded.
	Subject string
	// Date is the Date header; zero when missing or unreadable.
	Date    time.Time
	DateRaw string
	Tag     Tag
	// Header is the whole header, for the loop guard's other checks.
	Header textproto.Header
	Raw    []byte
}

// Tag is what a subject says of a patch: "[RFC PATCH net-next v2 3/5]".
type Tag struct {
	// Reply is a subject starting "Re:" (or a translation of it) or "Fwd:".
	Reply bool
	// Patch is a bracketed tag holding the word PATCH.
	Patch bool
	// Words are the tag's other words, upper-cased ("RFC", "NET-NEXT"),
	// PATCH included, version and numbering not.
	Words        []string
	Version      int // 1 when the tag names none
	Index, Total int // 0, 0 when unnumbered
}

// Bounds of what ParseMessage reads of a header: go-message's reader
// has none of its own.
const (
	maxHeaderBytes = 256 << 10
	// maxHeaderFields bounds the fields: each costs go-message about
	// 500 bytes, a hundred times its size when it is "X: y". Mail
	// through a list carries a few dozen.
	maxHeaderFields = 1000
	maxReferences   = 100
	maxIDLength     = 998
)

var errNoHeader = errors.New("no header block")

// ParseMessage reads a mail's header. raw must already be bounded by the
// caller (Limits.MessageBytes); a mail whose header does not parse is an
// error, never a panic.
func ParseMessage(raw []byte) (*Message, error) {
	if len(raw) > maxHeaderBytes && !bytes.Contains(raw[:maxHeaderBytes], []byte("\n\n")) && !bytes.Contains(raw[:maxHeaderBytes], []byte("\n\r\n")) {
		return nil, fmt.Errorf("a header over %d bytes", maxHeaderBytes)
	}
	if headerFields(raw) > maxHeaderFields {
		return nil, fmt.Errorf("a header of more than %d fields", maxHeaderFields)
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	if h.Len() == 0 {
		return nil, errNoHeader
	}
	m := &Message{Header: h, Raw: raw}
	m.ID = firstID(h.Get("Message-Id"))
	if m.ID == "" {
		sum := sha256.Sum256(raw)
		m.ID = "sha256." + hex.EncodeToString(sum[:16]) + "@lockbot.invalid"
	}
	m.InReplyTo = firstID(h.Get("In-Reply-To"))
	m.References = msgIDs(h.Get("References"), maxReferences)
	m.From = decodeWords(h.Get("From"))
	if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		m.FromAddr = strings.ToLower(a.Address)
		// Written again as an address: the decoded header is not one
		// when the name held a comma or quotes ("Author, Ada" sent as
		// =?utf-8?q?Author=2C_Ada?=), and the reply is addressed to it.
		m.From = a.String()
	}
	m.To = addressList(h.Get("To"))
	m.Cc = addressList(h.Get("Cc"))
	m.Subject = decodeWords(h.Get("Subject"))
	m.DateRaw = strings.TrimSpace(h.Get("Date"))
	if d, err := mail.ParseDate(m.DateRaw); err == nil {
		m.Date = d
	}
	m.Tag = ParseSubject(m.Subject)
	return m, nil
}

// headerFields counts the fields of raw's header: its lines up to the
// first empty one, continuation lines left out.
func headerFields(raw []byte) int {
	n := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) == 0:
			return n
		case line[0] != ' ' && line[0] != '\t':
			n++
		}
	}
	return n
}

var msgIDRe = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs reads message identifiers leniently, as public-inbox does: lists
// carry References broken by mailers (unbracketed, commented, folded), and
// an unreadable one must not hide the rest. At most limit are kept, the
// first and the last ones, which are what threading needs.
func msgIDs(v string, limit int) []string {
	var ids []string
	for _, m := range msgIDRe.FindAllStringSubmatch(v, -1) {
		if len(m[1]) <= maxIDLength {
			ids = append(ids, m[1])
		}
	}
	if len(ids) > limit {
		ids = append(ids[:1], ids[len(ids)-limit+1:]...)
	}
	return ids
}

// firstID is a header's message identifier: the bracketed one, or the
// bare value when a mailer left the brackets out.
func firstID(v string) string {
	if ids := msgIDs(v, 1); len(ids) > 0 {
		return ids[0]
	}
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v, " \t<>") || len(v) > maxIDLength {
		return ""
	}
	return v
}

func decodeWords(s string) string {
	var d mime.WordDecoder
	if out, err := d.DecodeHeader(s); err == nil {
		s = out
	}
	return strings.Join(strings.Fields(s), " ")
}

func addressList(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.String())
	}
	return out
}

var (
	replyPrefix = regexp.MustCompile(`(?i)^\s*(re|aw|sv|antw|odp|vs|fwd?)\s*(\[\d+\])?\s*:`)
	bracket     = regexp.MustCompile(`^\s*\[([^\]]*)\]`)
	versionWord = regexp.MustCompile(`(?i)^v(\d{1,4})$`)
	// patchWord is PATCH, or PATCHv2 as older series write it.
	patchWord  = regexp.MustCompile(`(?i)^PATCH(?:v(\d{1,4}))?$`)
	numberWord = regexp.MustCompile(`^(\d{1,5})/(\d{1,5})$`)
)

// ParseSubject reads the tag of a patch subject. Of the leading bracketed
// groups, the first holding the word PATCH is the tag; a mailing list's
// own "[list]" before it is skipped.
func ParseSubject(subject string) Tag {
	t := Tag{Version: 1}
	s := subject
	for loc := replyPrefix.FindStringIndex(s); loc != nil; loc = replyPrefix.FindStringIndex(s) {
		t.Reply = true
		s = s[loc[1]:]
	}
	for {
		loc := bracket.FindStringSubmatchIndex(s)
		if loc == nil {
			break
		}
		group := s[loc[2]:loc[3]]
		s = s[loc[1]:]
		if t.Patch {
			continue
		}
		words := strings.Fields(strings.ReplaceAll(group, ",", " "))
		isPatch := false
		for _, w := range words {
			if patchWord.MatchString(w) {
				isPatch = true
			}
		}
		if !isPatch {
			continue
		}
		t.Patch = true
		for _, w := range words {
			if m := patchWord.FindStringSubmatch(w); m != nil && m[1] != "" {
				t.Version, _ = strconv.Atoi(m[1])
				t.Words = append(t.Words, "PATCH")
				continue
			}
			if m := versionWord.FindStringSubmatch(w); m != nil {
				t.Version, _ = strconv.Atoi(m[1])
				continue
			}
			if m := numberWord.FindStringSubmatch(w); m != nil {
				t.Index, _ = strconv.Atoi(m[1])
				t.Total, _ = strconv.Atoi(m[2])
				continue
			}
			t.Words = append(t.Words, strings.ToUpper(w))
		}
	}
	if t.Index > t.Total {
		// "[PATCH 3/2]" is no numbering to trust.
		t.Index, t.Total = 0, 0
	}
	return t
}

// Follows reports whether the tag matches one of the list's subject
// prefixes: each prefix's words appear in the tag in a row ("PATCH"
// matches "[RFC PATCH v2]", "PATCH net" matches "[PATCH net v3 1/2]").
func (t Tag) Follows(prefixes []string) bool {
	if !t.Patch {
		return false
	}
	for _, p := range prefixes {
		want := strings.Fields(strings.ToUpper(p))
		if len(want) == 0 {
			continue
		}
		for i := 0; i+len(want) <= len(t.Words); i++ {
			ok := true
			for j, w := range want {
				if t.Words[i+j] != w {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}
