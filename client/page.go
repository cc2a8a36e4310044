package client

import (
	"context"
	"strconv"

	"github.com/aeoledger/aeoledger/schemas"
)

// PageRequest selects one page of a paginated query. The zero value asks for
// the first page at the contract's default size (100; at most 1000).
type PageRequest struct {
	Size     int
	Bookmark string
}

func (p PageRequest) args() []string {
	return []string{strconv.Itoa(p.Size), p.Bookmark}
}

// maxCollect bounds how many items the All* helpers gather, so a runaway
// query cannot exhaust memory.
const maxCollect = 1_000_000

// collect walks every page of a query.
func collect[T any](ctx context.Context, fetch func(ctx context.Context, p PageRequest) (*schemas.Page[T], error)) ([]T, error) {
	var out []T
	req := PageRequest{Size: 1000}
	for {
		page, err := fetch(ctx, req)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.Bookmark == "" || page.Bookmark == req.Bookmark || len(page.Items) == 0 || len(out) >= maxCollect {
			return out, nil
		}
		req.Bookmark = page.Bookmark
	}
}
