package sources

import (
	"context"
	"errors"

	"github.com/mmcdole/gofeed"

	"github.com/yizhan-hub/yizhan/hub"
)

func newParser() *gofeed.Parser {
	p := gofeed.NewParser()
	p.KeepOriginalFeed = true
	return p
}

func (f *Fetcher) fetchFeed(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	return hub.FetchResult{}, errors.New("feed sources not implemented yet")
}
