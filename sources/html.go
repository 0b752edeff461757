package sources

import (
	"context"
	"errors"

	"github.com/yizhan-hub/yizhan/hub"
)

// fetchHTML fetches an HTML source. Fetch wraps its errors with
// "fetch SOURCE-ID: ", so they need not name the source.
func (f *Fetcher) fetchHTML(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	return hub.FetchResult{}, errors.New("html sources not implemented yet")
}
