// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"strings"
)

// The loop guard: lockbot answers patches people post, and nothing else.
// Its own mail (which the list sends back), other bots' (CI reports,
// syzbot, patchwork's notices), replies and mail without a patch tag are
// recorded and left alone.

// botSenders are parts of sender addresses that are robots.
var botSenders = []string{
	"noreply", "no-reply", "do-not-reply", "donotreply", "mailer-daemon", "postmaster",
	"syzbot", "lkp@intel.com", "patchwork-bot", "kernelci", "-bot+", "+bot@",
}

// botLocal reports whether an address's local part names a robot: "bot",
// or a word ending in "bot" after a separator ("ci-bot", "build.bot"),
// but not a person's name that happens to end so (talbot@, abbot@).
func botLocal(addr string) bool {
	local, _, ok := strings.Cut(addr, "@")
	if !ok {
		return false
	}
	local, _, _ = strings.Cut(local, "+")
	if local == "bot" {
		return true
	}
	for _, sep := range []string{"-", "_", "."} {
		if strings.HasSuffix(local, sep+"bot") {
			return true
		}
	}
	return false
}

// botMailers are parts of X-Mailer and User-Agent values of robots.
var botMailers = []string{"lockbot", "patchwork", "syzbot", "kernelci"}

// robotHeaders mark mail a program sent on its own.
var robotHeaders = []string{"X-Patchwork-Bot", "X-Patchwork-Hint", "X-Autoreply", "X-Autorespond"}

func (b *Bot) classify(m *Message, li *List) (kind, reason string) {
	if m.FromAddr == b.botAddr || strings.HasPrefix(m.ID, "lockbot.") && strings.HasSuffix(strings.ToLower(m.ID), "@"+b.domain) {
		return KindOwn, ""
	}
	if v := strings.ToLower(strings.TrimSpace(m.Header.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return KindBot, "Auto-Submitted: " + v
	}
	for _, h := range robotHeaders {
		if m.Header.Has(h) {
			return KindBot, h
		}
	}
	for _, s := range botSenders {
		if strings.Contains(m.FromAddr, s) {
			return KindBot, "sender " + m.FromAddr
		}
	}
	if botLocal(m.FromAddr) {
		return KindBot, "sender " + m.FromAddr
	}
	for _, h := range []string{"X-Mailer", "User-Agent"} {
		v := strings.ToLower(m.Header.Get(h))
		for _, s := range botMailers {
			if v != "" && strings.Contains(v, s) {
				return KindBot, h + ": " + v
			}
		}
	}
	if m.Tag.Reply {
		return KindReply, ""
	}
	if !m.Tag.Patch {
		return KindNotPatch, ""
	}
	if !m.Tag.Follows(li.Prefixes) {
		return KindSkipped, "tag " + strings.Join(m.Tag.Words, " ")
	}
	if m.Tag.Total > 0 && m.Tag.Index == 0 {
		return KindCover, ""
	}
	return KindPatch, ""
}
