package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/sources"
)

// newClient returns the one HTTP client the fetcher shares, as configured.
func newClient(cfg *Config) *sources.Client {
	return sources.NewClient(sources.ClientOptions{UserAgent: cfg.Hub.UserAgent})
}

func cmdPreview(ctx context.Context, e *env, args []string) int {
	cfg, rest, _, code := start(e, "preview", args, 1, 1)
	if cfg == nil {
		return code
	}
	src, ok := cfg.Source(rest[0])
	if !ok {
		fmt.Fprintf(e.stderr, "yizhan preview: unknown source %q (yizhan sources lists them)\n", rest[0])
		return exitUsage
	}
	// No store: nothing is known, nothing is kept, and no validators are sent.
	f := sources.New(sources.Options{Client: newClient(cfg)})
	began := time.Now()
	res, err := f.Fetch(ctx, src, hub.FetchState{SourceID: src.ID})
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan preview: %v\n", err)
		return exitFail
	}
	printPreview(e.stdout, src, res, time.Since(began))
	return exitOK
}

// printPreview prints what a fetch would store, item by item, then the
// parts of it that failed and were left out.
func printPreview(w io.Writer, src hub.Source, res hub.FetchResult, took time.Duration) {
	fmt.Fprintf(w, "%s: %d %s from %s (%s)\n", src.ID, len(res.Items), plural(len(res.Items), "item", "items"),
		src.URL, took.Round(time.Millisecond))
	if res.MovedTo != "" {
		fmt.Fprintf(w, "moved permanently to %s\n", oneLine(res.MovedTo, 0))
	}
	for i, it := range res.Items {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, oneLine(it.Title, 0))
		field := func(name, value string) {
			// Every value is the upstream's text: one line, no controls.
			if value = oneLine(value, 0); value != "" {
				fmt.Fprintf(w, "   %-10s %s\n", name+":", value)
			}
		}
		if it.Published.IsZero() {
			field("date", "none (the time it is first stored will be used)")
		} else {
			field("date", fmtTime(it.Published))
		}
		if !it.Updated.IsZero() && !it.Updated.Equal(it.Published) {
			field("updated", fmtTime(it.Updated))
		}
		credit := it.Credit
		if it.CreditURL != "" {
			credit += " <" + it.CreditURL + ">"
		}
		field("credit", credit)
		field("via", it.Via)
		// Authors wrote it, editors edited it: SPEC keeps them apart.
		field("author", it.Author)
		field("editor", it.Editor)
		field("copyright", oneLine(it.Copyright, 0))
		field("link", it.URL)
		field("tags", strings.Join(it.Categories, ", "))
		body := it.Content
		if strings.TrimSpace(body) == "" {
			body = it.Summary
		}
		text := sources.FirstLine(body)
		if text == "" {
			text = "(empty)"
		}
		field("body", oneLine(text, 120))
	}
	if len(res.Skipped) > 0 {
		// Left out of the fetch, which still succeeded: the pages to look at.
		fmt.Fprintf(w, "\nskipped %d %s:\n", len(res.Skipped), plural(len(res.Skipped), "part", "parts"))
		for _, err := range res.Skipped {
			fmt.Fprintf(w, "   %s\n", oneLine(err.Error(), 0))
		}
	}
}

// oneLine folds whitespace runs to one space, drops control characters
// (upstream text must not send escape sequences to the terminal) and, if
// max > 0, cuts to max runes with an ellipsis.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, s)
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return s
}

// fmtTime shows a time with its offset, and its zone's name when it has one.
func fmtTime(t time.Time) string {
	s := t.Format("2006-01-02 15:04:05 -07:00")
	if name, _ := t.Zone(); name != "" && name[0] != '+' && name[0] != '-' {
		s += " " + name
	}
	return s
}
