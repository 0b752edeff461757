package main

import (
	"context"
	"fmt"
)

// The commands below need the SQLite store and the feeds handler, which land
// separately; until then they say so.

func cmdServe(_ context.Context, e *env, _ []string) int   { return pending(e, "serve") }
func cmdFetch(_ context.Context, e *env, _ []string) int   { return pending(e, "fetch") }
func cmdSources(_ context.Context, e *env, _ []string) int { return pending(e, "sources") }

func pending(e *env, name string) int {
	fmt.Fprintf(e.stderr, "yizhan %s: not available in this build yet\n", name)
	return exitFail
}
