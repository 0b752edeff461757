package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadOPML: no input makes import panic, and whatever it prints for
// an input it reads is a configuration that validates.
func FuzzReadOPML(f *testing.F) {
	opml, _ := filepath.Glob(filepath.Join("testdata", "opml", "*.opml"))
	xml, _ := filepath.Glob(filepath.Join("testdata", "opml", "*.xml"))
	for _, file := range append(opml, xml...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := readOPML("f.opml", data)
		if err != nil || len(doc.feeds) == 0 {
			return
		}
		var out bytes.Buffer
		writeImport(&out, "f.opml", planImport(doc, "", nil))
		if _, err := parseConfig("c.toml", out.Bytes()); err != nil {
			t.Fatalf("import printed a configuration that does not validate: %v\n%s", err, out.String())
		}
	})
}
