// Command bare serves one file's bytes from memory with a bare net/http
// handler: the ceiling yizhan's feed serving is measured against in
// bench/serve.sh. It answers GET and HEAD with the plain or the precompressed
// (.gz) bytes, a strong ETag and 304 for If-None-Match.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	file := flag.String("file", "", "file to serve; FILE.gz is its gzip form")
	listen := flag.String("listen", "127.0.0.1:8092", "address")
	ctype := flag.String("type", "application/rss+xml; charset=utf-8", "Content-Type")
	flag.Parse()
	plain, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	gz, err := os.ReadFile(*file + ".gz")
	if err != nil {
		log.Fatal(err)
	}
	sum := sha256.Sum256(plain)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	gzETag := `"` + hex.EncodeToString(sum[:8]) + `-gz"`
	plainLen, gzLen := strconv.Itoa(len(plain)), strconv.Itoa(len(gz))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{*ctype}
		h["Vary"] = []string{"Accept-Encoding"}
		body, tag, n := plain, etag, plainLen
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body, tag, n = gz, gzETag, gzLen
			h["Content-Encoding"] = []string{"gzip"}
		}
		h["Etag"] = []string{tag}
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Length"] = []string{n}
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
