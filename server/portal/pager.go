package portal

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"hcscan/server"
)

// pageSize is how many rows a listing shows per page.
const pageSize = 50

// Pager is the page a listing shows out of how many, with links (""
// where there is nowhere to go) that keep the listing's filter.
type Pager struct {
	F                        *Frame
	Total, Size, Page, Pages int
	First, Prev, Next, Last  string
}

// newPager numbers the pages of total rows for a page asked as text
// (clamped into 1..Pages).
func newPager(f *Frame, total int, asked string) Pager {
	pg := Pager{F: f, Total: total, Size: pageSize, Pages: (total + pageSize - 1) / pageSize}
	if pg.Pages < 1 {
		pg.Pages = 1
	}
	pg.Page, _ = strconv.Atoi(asked)
	pg.Page = max(1, min(pg.Page, pg.Pages))
	return pg
}

// offsetLinks are links for a listing paged by number only (short lists
// held in memory).
func (pg *Pager) offsetLinks(base string, q url.Values) {
	at := func(n int) string {
		v := cloneValues(q)
		v.Set("p", strconv.Itoa(n))
		return base + "?" + v.Encode()
	}
	if pg.Page > 1 {
		pg.First, pg.Prev = at(1), at(pg.Page-1)
	}
	if pg.Page < pg.Pages {
		pg.Next, pg.Last = at(pg.Page+1), at(pg.Pages)
	}
}

// keysetLinks are links for a listing of records paged through the index:
// newer and older continue from the first and last row shown (no offset
// over a million rows), the last page is read from the oldest end.
func (pg *Pager) keysetLinks(base string, q url.Values, first, last *server.StoredRecord) {
	at := func(n int, dir string, c *server.StoredRecord) string {
		v := cloneValues(q)
		v.Set("p", strconv.Itoa(n))
		if dir != "" {
			v.Set("d", dir)
		}
		if c != nil {
			v.Set("c", encodeCursor(server.CursorOf(c)))
		}
		return base + "?" + v.Encode()
	}
	if pg.Page > 1 && first != nil {
		pg.First, pg.Prev = at(1, "", nil), at(pg.Page-1, "newer", first)
	}
	if pg.Page < pg.Pages && last != nil {
		pg.Next, pg.Last = at(pg.Page+1, "older", last), at(pg.Pages, "last", nil)
	}
}

func cloneValues(q url.Values) url.Values {
	v := url.Values{}
	for k, vs := range q {
		if k == "p" || k == "c" || k == "d" {
			continue
		}
		v[k] = append([]string(nil), vs...)
	}
	return v
}

// encodeCursor writes a record's place for a link: unix nanoseconds,
// device id and record id.
func encodeCursor(c server.RecordCursor) string {
	return strconv.FormatInt(c.At.UnixNano(), 10) + "~" + c.DeviceID + "~" + c.RecordID
}

func decodeCursor(s string) (server.RecordCursor, bool) {
	parts := strings.Split(s, "~")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return server.RecordCursor{}, false
	}
	ns, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return server.RecordCursor{}, false
	}
	return server.RecordCursor{At: time.Unix(0, ns), DeviceID: parts[1], RecordID: parts[2]}, true
}
