// Package sources is yizhan's ingest: it fetches upstreams over HTTP (conditional
// GET, size caps, charsets), parses feeds and HTML pages, sanitizes their HTML,
// extracts attribution, and hands everything on as hub.Item.
//
// sources imports hub and never feeds or hub/sqlite.
package sources
