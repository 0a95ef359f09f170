package lineworks

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// MaxPageCount is the largest page size (count) the LINE WORKS list APIs
// accept; the iterators ask for it so that a long list costs as few requests
// (and as little of the rate limit) as possible.
// See https://developers.worksmobile.com/jp/docs/bot-channel-members-list.
const MaxPageCount = 100

// PageOptions selects one page of a list API. The zero value asks for the
// first page with the server's default size (50).
type PageOptions struct {
	// Count is the page size, 1 to MaxPageCount; zero leaves it to the server.
	Count int
	// Cursor is ResponseMetaData.NextCursor of the previous page; empty for
	// the first page. It is sent URL-encoded.
	Cursor string
}

// ResponseMetaData is the paging part of every list response.
type ResponseMetaData struct {
	// NextCursor is empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// values validates o and returns it as query parameters (url.Values.Encode
// does the URL-encoding of the cursor).
func (o PageOptions) values(method string) (url.Values, error) {
	if o.Count < 0 || o.Count > MaxPageCount {
		return nil, fmt.Errorf("%w: %s: count %d out of range 1..%d", ErrInvalidArgument, method, o.Count, MaxPageCount)
	}
	q := url.Values{}
	if o.Count > 0 {
		q.Set("count", strconv.Itoa(o.Count))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q, nil
}

// paginate turns a page fetcher into an iterator that follows nextCursor.
// Breaking out of the loop stops fetching; an error is yielded once (with the
// zero T) and ends the sequence. A server that hands back the cursor it was
// given would make the loop endless, so that is reported as an error too.
func paginate[T any](ctx context.Context, method string, fetch func(ctx context.Context, cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		cursor := ""
		for {
			items, next, err := fetch(ctx, cursor)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if next == cursor {
				yield(zero, fmt.Errorf("lineworks: %s: the server returned the same cursor twice", method))
				return
			}
			cursor = next
		}
	}
}

// validID rejects a non-positive numeric ID (bot and domain IDs).
func validID(method, name string, id int64) error {
	if id <= 0 {
		return fmt.Errorf("%w: %s: %s %d must be positive", ErrInvalidArgument, method, name, id)
	}
	return nil
}

// validString rejects an empty string ID.
func validString(method, name, v string) error {
	if v == "" {
		return fmt.Errorf("%w: %s: empty %s", ErrInvalidArgument, method, name)
	}
	return nil
}
