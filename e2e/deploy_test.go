package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeployUnit checks the systemd unit docs/deploy.md gives operators with
// `systemd-analyze verify`, the way systemd itself would read it, against the
// binary under test in place of /usr/local/bin/yizhan. A typo in a directive,
// a section or a hardening option an operator pastes fails here first.
func TestDeployUnit(t *testing.T) {
	analyze := lookPath(t, "systemd-analyze")
	unit, err := deployUnit("../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[Unit]", "[Service]", "[Install]", "ExecStart=/usr/local/bin/yizhan serve", "ProtectSystem=strict"} {
		if !strings.Contains(unit, want) {
			t.Fatalf("docs/deploy.md's unit lacks %q:\n%s", want, unit)
		}
	}
	unit = strings.ReplaceAll(unit, "/usr/local/bin/yizhan", yizhan(t))

	dir := t.TempDir()
	path := filepath.Join(dir, "yizhan.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", path)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	// verify prints warnings about the host (no running systemd in a
	// container) as well as about the unit; only the unit's count.
	var problems []string
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, "yizhan.service") {
			problems = append(problems, strings.TrimSpace(line))
		}
	}
	if err != nil || len(problems) > 0 {
		t.Fatalf("systemd-analyze verify %s: %v\n%s\nunit:\n%s", path, err, out, unit)
	}
}

// deployUnit returns the systemd unit docs/deploy.md shows: the indented
// block that begins with [Unit], up to the first line that is neither
// indented nor blank.
func deployUnit(doc string) (string, error) {
	f, err := os.Open(doc)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "[Unit]":
			in = true
		case !in:
			continue
		case line != "" && !strings.HasPrefix(line, "    "):
			return b.String(), nil
		}
		b.WriteString(strings.TrimPrefix(line, "    "))
		b.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if !in {
		return "", os.ErrNotExist
	}
	return b.String(), nil
}
