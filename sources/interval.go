package sources

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// How long an upstream asks to be left alone: the runner takes it as a
// floor under the source's schedule (hub.FetchResult.MinInterval).

// maxAge reads Cache-Control max-age: how long the response stays fresh.
// no-cache and no-store ask for nothing; a bad value is ignored.
func maxAge(h http.Header) time.Duration {
	var age time.Duration
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-cache", "no-store":
				return 0
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err == nil && n > 0 {
					age = time.Duration(min(n, maxSeconds)) * time.Second
				}
			}
		}
	}
	return age
}

// maxSeconds bounds upstream durations well below time.Duration's range.
const maxSeconds = 1 << 31

var ttlRe = regexp.MustCompile(`<ttl>\s*(\d{1,10})\s*</ttl>`)

// rssTTL reads an RSS channel's <ttl>, in minutes: how long the channel may
// be cached. It looks only before the first item, where the channel's
// elements are, so that a huge body costs nothing.
func rssTTL(body []byte) time.Duration {
	head := body[:min(len(body), 64<<10)]
	if i := bytes.Index(head, []byte("<item")); i >= 0 {
		head = head[:i]
	}
	m := ttlRe.FindSubmatch(head)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(min(n, maxSeconds/60)) * time.Minute
}
