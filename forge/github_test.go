// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLimitWait(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	resp := func(status int, h map[string]string, body string) *http.Response {
		r := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		r    *http.Response
		wait time.Duration
		kind string
	}{
		{"retry-after seconds", resp(403, map[string]string{"Retry-After": "7"}, ""), 7 * time.Second, "secondary"},
		{"retry-after date", resp(429, map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, ""), 90 * time.Second, "secondary"},
		{"primary", resp(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}, ""), time.Hour, "primary"},
		{"secondary without a time", resp(403, nil, `{"message":"You have exceeded a secondary rate limit."}`), time.Minute, "secondary"},
		{"a refusal", resp(403, nil, `{"message":"Resource not accessible by integration"}`), 0, ""},
		{"not found", resp(404, map[string]string{"Retry-After": "7"}, ""), 0, ""},
	} {
		wait, kind := limitWait(tc.r, now)
		if wait != tc.wait || kind != tc.kind {
			t.Errorf("%s: %v %q, want %v %q", tc.name, wait, kind, tc.wait, tc.kind)
		}
		// The body is still there for go-github to read.
		if b, _ := io.ReadAll(tc.r.Body); tc.name == "a refusal" && !strings.Contains(string(b), "not accessible") {
			t.Errorf("%s: body lost: %q", tc.name, b)
		}
	}
}

func TestBlobCacheIsBoundedInBytes(t *testing.T) {
	bc := newBlobCache(1000)
	for i := 0; i < 100; i++ {
		bc.add("f"+strconv.Itoa(i), make([]byte, 100))
		bc.add("f"+strconv.Itoa(i), make([]byte, 100)) // again: counted once
	}
	if n := bc.bytes.Load(); n > 1000 || n < 900 {
		t.Errorf("cache holds %d bytes, want at most 1000 and near it", n)
	}
	if _, ok := bc.get("f99"); !ok {
		t.Error("the newest file was evicted")
	}
	if _, ok := bc.get("f0"); ok {
		t.Error("the oldest file was kept")
	}
	bc.add("big", make([]byte, 600)) // over a quarter: not cached
	if _, ok := bc.get("big"); ok {
		t.Error("a file over a quarter of the cache was cached")
	}
	bc.add("gone", nil)
	if v, ok := bc.get("gone"); !ok || v != nil {
		t.Error("an absent file is not remembered")
	}
}
