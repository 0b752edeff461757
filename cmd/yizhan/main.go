// Command yizhan is the feed syndication hub: it fetches the sources of
// config.toml on their schedules into SQLite and serves per-channel RSS, Atom
// and JSON feeds. Run "yizhan help" for its commands.
//
// Package main is the only place that imports every other package of yizhan:
// it loads the configuration, builds the logger and wires store, fetcher,
// scheduler and HTTP handler together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/yizhan-hub/yizhan/hub"

	// Time zones must load on machines without a zoneinfo database.
	_ "time/tzdata"
)

// Exit codes, as SPEC.md defines them.
const (
	exitOK    = 0
	exitFail  = 1 // a failure the command reports
	exitUsage = 2 // wrong usage
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// env is what a command receives from the process: its output streams and
// environment. Tests run commands in-process with their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, e *env, args []string) int
}

var commands []command

func init() {
	// Assigned here, not in the declaration, because help refers to commands.
	commands = []command{
		{"serve", "[-config FILE]", "run the scheduler and the HTTP server until SIGINT or SIGTERM; SIGHUP reloads", cmdServe},
		{"check", "[-config FILE]", "validate the configuration and report every problem", cmdCheck},
		{"fetch", "[-config FILE] [SOURCE...]", "fetch the named sources (default: every enabled one) now and store them", cmdFetch},
		{"sources", "[-config FILE]", "print each source's state: last try, last success, last error, items, next run", cmdSources},
		{"preview", "[-config FILE] SOURCE", "fetch one source and print what would be stored, storing nothing", cmdPreview},
		{"copydb", "-from DB -to DB", "copy a whole store (SQLite file or PostgreSQL URL) into an empty one", cmdCopyDB},
		{"import", "[-config FILE] [-channel ID] FILE.opml", "print a [[source]] table for every feed of an OPML file, writing nothing", cmdImport},
		{"discover", "[-config FILE] [-channel ID] [-encoding LABEL] URL", "find the feeds a page advertises, or propose an html source for a listing page", cmdDiscover},
		{"version", "", "print the version", cmdVersion},
	}
}

// run executes the command line args (without the program name) and returns
// the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if args[0] == "help" && len(args) > 1 {
			// "yizhan help fetch" is "yizhan fetch -h".
			return run(ctx, []string{args[1], "-h"}, stdout, stderr, getenv)
		}
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return cmdVersion(ctx, e, nil)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "yizhan: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: yizhan COMMAND [flags] [args]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Every command but version takes
  -config FILE      configuration file (default $YIZHAN_CONFIG, else config.toml)
and every command but version, import and discover
  -log-level LEVEL  debug, info, warn or error (default $YIZHAN_LOG_LEVEL, else info)

Run "yizhan COMMAND -h" or "yizhan help COMMAND" for a command's own flags.
`)
}

// flags is what every command but version shares.
type flags struct {
	*flag.FlagSet
	e        *env
	name     string
	config   string
	logLevel string
}

func newFlags(e *env, name string) *flags {
	f := newBareFlags(e, name)
	f.StringVar(&f.config, "config", "", "configuration `FILE` (default $YIZHAN_CONFIG, else config.toml)")
	f.StringVar(&f.logLevel, "log-level", "", "log `LEVEL`: debug, info, warn or error (default $YIZHAN_LOG_LEVEL, else info)")
	return f
}

// newBareFlags returns the flags of a command that reads no configuration
// and logs nothing: none yet but -h.
func newBareFlags(e *env, name string) *flags {
	f := &flags{FlagSet: flag.NewFlagSet("yizhan "+name, flag.ContinueOnError), e: e, name: name}
	f.SetOutput(e.stderr)
	// parse prints the usage itself: on stdout when -h asked for it, on
	// stderr after a usage error.
	f.Usage = func() {}
	return f
}

// usage prints the command's usage and flags to w.
func (f *flags) usage(w io.Writer) {
	commandUsage(w, f.name)
	fmt.Fprintf(w, "\nflags:\n")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(f.e.stderr)
}

// commandUsage prints the usage line and summary of the command name.
func commandUsage(w io.Writer, name string) {
	for _, c := range commands {
		if c.name == name {
			fmt.Fprintf(w, "usage: yizhan %s\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
		}
	}
}

// isHelp reports whether arg asks for help, as the flag package reads it.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--h", "--help":
		return true
	}
	return false
}

// parse parses flags wherever they stand among the arguments ("fetch a -config
// x b") and returns the other arguments, of which the command takes at least
// minArgs and at most maxArgs (no limit if negative). done is true when the
// command should exit with code instead of running: after -h or -help, whose
// usage went to stdout (code 0), or after a usage error (a bad flag, too few
// or too many arguments), printed on stderr with the usage (code 2).
func (f *flags) parse(args []string, minArgs, maxArgs int) (rest []string, code int, done bool) {
	for len(args) > 0 {
		if err := f.Parse(args); errors.Is(err, flag.ErrHelp) {
			f.usage(f.e.stdout)
			return nil, exitOK, true
		} else if err != nil {
			// The flag package has printed what was wrong.
			f.usage(f.e.stderr)
			return nil, exitUsage, true
		}
		args = f.Args()
		if len(args) > 0 && args[0] == "--" {
			rest = append(rest, args[1:]...)
			break
		}
		if len(args) > 0 {
			rest = append(rest, args[0])
			args = args[1:]
		}
	}
	if len(rest) < minArgs || maxArgs >= 0 && len(rest) > maxArgs {
		f.usage(f.e.stderr)
		return nil, exitUsage, true
	}
	return rest, exitOK, false
}

// setup returns the configuration file's path and the logger the flags ask for.
func (f *flags) setup() (path string, logger *slog.Logger, err error) {
	level, from := f.logLevel, "-log-level"
	if level == "" {
		level, from = f.e.getenv("YIZHAN_LOG_LEVEL"), "$YIZHAN_LOG_LEVEL"
	}
	var lv slog.Level
	if level != "" {
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			return "", nil, fmt.Errorf("%s: unknown level %q (debug, info, warn or error)", from, level)
		}
	}
	logger = slog.New(slog.NewTextHandler(f.e.stderr, &slog.HandlerOptions{Level: lv}))
	return configPath(f.config, f.e.getenv), logger, nil
}

// start parses args, of which the command takes minArgs to maxArgs (see
// parse), and loads the configuration, reporting problems on stderr. Wrong
// usage is reported before the configuration is read. When cfg is nil, the
// command should exit with code: 0 after -h, nonzero after a problem.
func start(e *env, name string, args []string, minArgs, maxArgs int) (cfg *Config, rest []string, logger *slog.Logger, code int) {
	f := newFlags(e, name)
	rest, code, done := f.parse(args, minArgs, maxArgs)
	if done {
		return nil, nil, nil, code
	}
	path, logger, err := f.setup()
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan %s: %v\n", name, err)
		return nil, nil, nil, exitUsage
	}
	cfg, err = loadConfig(path)
	if err != nil {
		printErrors(e.stderr, err)
		return nil, nil, nil, exitFail
	}
	if db := e.getenv("YIZHAN_DATABASE"); db != "" {
		cfg.Hub.Database, cfg.DatabaseEnv = db, true
	}
	return cfg, rest, logger, exitOK
}

// printErrors prints each error that err joins on a line of its own.
func printErrors(w io.Writer, err error) {
	for _, e := range flatten(err) {
		fmt.Fprintln(w, e)
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, flatten(e)...)
		}
		return errs
	}
	return []error{err}
}

func cmdVersion(_ context.Context, e *env, args []string) int {
	if len(args) == 1 && isHelp(args[0]) {
		commandUsage(e.stdout, "version")
		return exitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "usage: yizhan version\n")
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "yizhan %s (%s)\n", versionString(), goVersion())
	return exitOK
}

func cmdCheck(_ context.Context, e *env, args []string) int {
	f := newFlags(e, "check")
	if _, code, done := f.parse(args, 0, 0); done {
		return code
	}
	path, _, err := f.setup()
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan check: %v\n", err)
		return exitUsage
	}
	cfg, err := loadConfig(path)
	if err != nil {
		errs := flatten(err)
		printErrors(e.stderr, err)
		fmt.Fprintf(e.stderr, "%s: %d %s\n", path, len(errs), plural(len(errs), "problem", "problems"))
		return exitFail
	}
	enabled := 0
	for _, s := range cfg.Sources {
		if s.Enabled {
			enabled++
		}
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d %s, %d %s", path,
		len(cfg.Channels), plural(len(cfg.Channels), "channel", "channels"),
		len(cfg.Sources), plural(len(cfg.Sources), "source", "sources"))
	if enabled < len(cfg.Sources) {
		fmt.Fprintf(e.stdout, ", %d disabled", len(cfg.Sources)-enabled)
	}
	if n := len(cfg.Warnings); n > 0 {
		fmt.Fprintf(e.stdout, ", %d %s", n, plural(n, "warning", "warnings"))
	}
	fmt.Fprintln(e.stdout, ")")
	// Valid, so not a failure: the exit code stays 0.
	for _, w := range cfg.Warnings {
		fmt.Fprintln(e.stderr, w)
	}
	return exitOK
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// pickSources returns the sources named by ids, or every enabled source when
// ids is empty; naming a disabled source fetches it anyway. Either way they
// come in configuration order, which is the order fetch prints them in. Ids
// that name no configured source make an error.
func pickSources(cfg *Config, ids []string) ([]hub.Source, error) {
	named := make(map[string]bool, len(ids))
	for _, id := range ids {
		named[id] = true
	}
	var picked []hub.Source
	for _, s := range cfg.Sources {
		if named[s.ID] || len(ids) == 0 && s.Enabled {
			picked = append(picked, s)
			delete(named, s.ID)
		}
	}
	var unknown []string
	for _, id := range ids {
		if named[id] {
			unknown = append(unknown, strconv.Quote(id))
			delete(named, id)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown %s %s (yizhan sources lists them)",
			plural(len(unknown), "source", "sources"), strings.Join(unknown, ", "))
	}
	return picked, nil
}
