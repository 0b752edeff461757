package sources

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"github.com/yizhan-hub/yizhan/hub"
)

// readVersion names what this code makes of an upstream's bytes. Raise it
// when a change to parsing, sanitizing or attribution must reach items
// already stored: body and item hashes made under another version never
// match, so every feed is read again once.
const readVersion = 1

// fingerprint is what, besides an upstream's bytes, decides the items read
// from them: this code's version, the source's configuration that ends up in
// items, and the URL relative links resolve against.
func fingerprint(src hub.Source, feedURL string) []byte {
	b := binary.AppendUvarint(nil, readVersion)
	zone := ""
	if src.Timezone != nil {
		zone = src.Timezone.String()
	}
	for _, s := range []string{src.ID, src.Name, src.Attribution, src.Copyright, src.Encoding, zone, feedURL} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// Item memo: FetchState.ItemHashes is, for each item of the last feed body
// read, a hash of the item's bytes in its context and a hash of the key the
// item was stored under. An item whose bytes hash the same in the next body
// is reported unchanged without being parsed, sanitized or saved.
const (
	memoMagic = 'm' // first byte of a memo; others are ignored
	hashLen   = 16  // bytes of an item hash
	keyLen    = 8   // bytes of a key hash
	entryLen  = hashLen + keyLen
)

type itemHash [hashLen]byte

type keyHash [keyLen]byte

// memoEntry is one item of a memo.
type memoEntry struct {
	item itemHash
	key  keyHash
}

// decodeMemo reads a memo, giving the key hash of every item hash; a memo
// it does not recognise gives none.
func decodeMemo(b []byte) map[itemHash]keyHash {
	if len(b) == 0 || b[0] != memoMagic || (len(b)-1)%entryLen != 0 {
		return nil
	}
	m := make(map[itemHash]keyHash, (len(b)-1)/entryLen)
	for b = b[1:]; len(b) > 0; b = b[entryLen:] {
		m[itemHash(b[:hashLen])] = keyHash(b[hashLen:entryLen])
	}
	return m
}

func encodeMemo(entries []memoEntry) []byte {
	b := make([]byte, 1, 1+len(entries)*entryLen)
	b[0] = memoMagic
	for _, e := range entries {
		b = append(b, e.item[:]...)
		b = append(b, e.key[:]...)
	}
	return b
}

func hashKey(key string) keyHash {
	sum := sha256.Sum256([]byte(key))
	return keyHash(sum[:keyLen])
}

// itemHashes hashes each item of doc together with its context: the
// fingerprint and everything in doc outside the items, except the feed's
// own dates and the white space between items, so that a rebuilt feed with
// the same items, or with items added or removed, leaves the others' hashes
// as they were, while anything that could change how an item reads (a
// namespace, xml:base, an Atom feed author) changes them all.
func itemHashes(doc []byte, l layout, fp []byte) []itemHash {
	outside := slices.Concat(l.items, l.dates)
	slices.SortFunc(outside, func(a, b span) int { return a.start - b.start })
	h := sha256.New()
	h.Write(fp)
	var n [binary.MaxVarintLen64]byte
	at := 0
	for _, s := range append(outside, span{len(doc), len(doc)}) {
		if part := bytes.TrimSpace(doc[at:s.start]); len(part) > 0 {
			h.Write(n[:binary.PutUvarint(n[:], uint64(len(part)))])
			h.Write(part)
		}
		at = s.end
	}
	ctx := h.Sum(nil)
	hashes := make([]itemHash, len(l.items))
	for i, s := range l.items {
		h.Reset()
		h.Write(ctx)
		h.Write(doc[s.start:s.end])
		copy(hashes[i][:], h.Sum(nil))
	}
	return hashes
}

// vault keeps the large CDATA texts of a document while gofeed reads it with
// a placeholder in their place: encoding/xml takes each byte of text through
// several function calls, and these texts are most of a feed's bytes, yet
// gofeed hands them back untouched (a description or content that is one
// CDATA section comes back as the section's content, nothing else).
type vault struct{ texts []string }

// minVaulted is the shortest CDATA text worth a placeholder.
const minVaulted = 256

// Placeholders are U+E000, the text's number, U+E001: private-use
// characters, which a document is checked not to hold before any is made.
const (
	vaultOpen  = "\uE000"
	vaultClose = "\uE001"
)

// rebuild returns doc without the items whose keep is false, its large
// CDATA texts replaced by placeholders, and the vault that restores them.
// keep nil keeps every item.
func rebuild(doc []byte, l layout, keep []bool) ([]byte, *vault) {
	useVault := !bytes.Contains(doc, []byte(vaultOpen))
	var cuts []span // removed items, and texts to vault, in order
	for i, s := range l.items {
		if keep != nil && !keep[i] {
			cuts = append(cuts, s)
		}
	}
	nItems := len(cuts)
	if useVault {
		for _, t := range l.texts {
			if t.end-t.start >= minVaulted {
				cuts = append(cuts, t)
			}
		}
	}
	if len(cuts) == 0 {
		return doc, nil
	}
	removed := make(map[span]bool, nItems)
	for _, c := range cuts[:nItems] {
		removed[c] = true
	}
	if nItems > 0 && len(cuts) > nItems {
		slices.SortFunc(cuts, func(a, b span) int { return a.start - b.start })
	}
	v := &vault{}
	out := make([]byte, 0, len(doc)/4)
	at := 0
	for _, c := range cuts {
		if c.start < at {
			continue // a text inside a removed item
		}
		out = append(out, doc[at:c.start]...)
		if !removed[c] {
			out = append(out, vaultOpen...)
			out = strconv.AppendInt(out, int64(len(v.texts)), 10)
			out = append(out, vaultClose...)
			v.texts = append(v.texts, string(doc[c.start:c.end]))
		}
		at = c.end
	}
	out = append(out, doc[at:]...)
	if len(v.texts) == 0 {
		v = nil
	}
	return out, v
}

// restore puts the vaulted texts back into s.
func (v *vault) restore(s string) string {
	if v == nil || !strings.Contains(s, vaultOpen) {
		return s
	}
	// Most often s is one placeholder: the text itself, not a copy.
	if n, ok := strings.CutPrefix(s, vaultOpen); ok {
		if n, ok := strings.CutSuffix(n, vaultClose); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(v.texts) {
				return v.texts[i]
			}
		}
	}
	var b strings.Builder
	for {
		i := strings.Index(s, vaultOpen)
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], vaultClose)
		if j < 0 {
			break
		}
		n, err := strconv.Atoi(s[i+len(vaultOpen) : i+j])
		if err != nil || n < 0 || n >= len(v.texts) {
			b.WriteString(s[:i+j+len(vaultClose)])
		} else {
			b.WriteString(s[:i])
			b.WriteString(v.texts[n])
		}
		s = s[i+j+len(vaultClose):]
	}
	b.WriteString(s)
	return b.String()
}
