package feeds

import "testing"

// TestContentTag: equal bodies have equal tags, and a change of one byte,
// or of the length alone, changes the tag.
func TestContentTag(t *testing.T) {
	base := []byte("<rss>理论频道</rss>")
	tag := contentTag(base)
	if got := contentTag([]byte(string(base))); got != tag {
		t.Errorf("contentTag of equal bodies: %s and %s", got, tag)
	}
	for _, other := range [][]byte{
		[]byte("<rss>理论频道</rss "),
		[]byte("<rss>理论频道</rss>\n"),
		[]byte("<rss>理论频道</rss"),
		nil,
	} {
		if got := contentTag(other); got == tag {
			t.Errorf("contentTag(%q) = contentTag(%q) = %s", other, base, got)
		}
	}
}
