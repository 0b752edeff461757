// Command bare serves one file's bytes from memory with a bare net/http
// handler: the ceiling yizhan's feed serving is measured against in
// bench/serve.sh. It answers GET and HEAD with the plain or the precompressed
// (.gz) bytes, a strong ETag and 304 for If-None-Match, with the header
// fields yizhan sends (Cache-Control, Last-Modified, Vary), so that both
// write responses of the same size.
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
	cacheControl := flag.String("cache-control", "public, max-age=3600", "Cache-Control")
	lastModified := flag.String("last-modified", "", "Last-Modified; the file's modification time if empty")
	flag.Parse()
	plain, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	gz, err := os.ReadFile(*file + ".gz")
	if err != nil {
		log.Fatal(err)
	}
	if *lastModified == "" {
		fi, err := os.Stat(*file)
		if err != nil {
			log.Fatal(err)
		}
		*lastModified = fi.ModTime().UTC().Format(http.TimeFormat)
	}
	sum := sha256.Sum256(plain)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	gzETag := `"` + hex.EncodeToString(sum[:16]) + `-gz"`
	plainLen, gzLen := strconv.Itoa(len(plain)), strconv.Itoa(len(gz))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Vary"] = []string{"Accept-Encoding"}
		h["Cache-Control"] = []string{*cacheControl}
		body, tag, n := plain, etag, plainLen
		gzipped := strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
		if gzipped {
			body, tag, n = gz, gzETag, gzLen
		}
		h["Etag"] = []string{tag}
		h["Last-Modified"] = []string{*lastModified}
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Type"] = []string{*ctype}
		h["Content-Length"] = []string{n}
		if gzipped {
			h["Content-Encoding"] = []string{"gzip"}
		}
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
