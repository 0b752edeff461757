package main

import (
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; without
// it, the module version or VCS revision recorded by the Go toolchain is used.
var version = ""

// versionString returns yizhan's version: the linker-set one, else the module
// version, else the short VCS revision (with "-dirty" for a modified tree),
// else "dev".
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "dev"
	}
	return "dev-" + rev + dirty
}

// defaultUserAgent names yizhan, its version and where to learn about it, so
// that an upstream's operator knows who is polling.
func defaultUserAgent() string {
	return "yizhan/" + versionString() + " (+https://github.com/yizhan-hub/yizhan)"
}

func goVersion() string { return runtime.Version() }
