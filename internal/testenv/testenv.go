// Package testenv finds what tests need outside the repository — the shared
// corpora beside the checkout, Debian tools — and skips a test that lacks
// it, except under CI (CI=true), where a missing need fails the test: CI
// installs everything, so a skip there would hide a test that never ran.
//
// testenv is imported by tests only.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Skip skips t with the message, or fails it under CI.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true, yet: "+format, args...)
	}
	t.Skipf(format, args...)
}

// Corpora returns the path of ../shared/corpora/rel beside the repository
// root (the directory holding go.mod), or skips t (fails it under CI) when
// it is missing.
func Corpora(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			Skip(t, "no go.mod above the test's directory")
			return ""
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "corpora", rel)
	if _, err := os.Stat(path); err != nil {
		Skip(t, "corpus %s missing: %v (it lives beside the repository, in ../shared/corpora)", rel, err)
	}
	return path
}

// Tool returns the path of an executable on $PATH, or skips t (fails it
// under CI) when it is not installed.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Skip(t, "%s not installed (Debian package %s)", name, debianPackage)
	}
	return path
}
