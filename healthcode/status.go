package healthcode

import (
	"encoding/json"
	"fmt"
	"time"
)

// DocStatusList is the SignedDoc kind of a status list (snapshot or delta).
const DocStatusList = "status-list"

// StatusEntry is the province's latest colour for one code, keyed by the
// code hash (never by a person's identity).
type StatusEntry struct {
	Hash    CodeHash  `json:"hash"`
	Colour  Colour    `json:"colour"`
	Updated time.Time `json:"updated"`
	Seq     uint64    `json:"seq"`
}

// StatusList is a set of colour changes. A snapshot holds every entry up to
// Seq; a delta (Since > 0) holds the changes after Since.
type StatusList struct {
	Since     uint64        `json:"since"`
	Seq       uint64        `json:"seq"`
	Generated time.Time     `json:"generated"`
	Entries   []StatusEntry `json:"entries"`
	// More says this is one page: Seq is then the sequence of its last
	// entry, and the changes after it are fetched with since=Seq.
	More bool `json:"more,omitempty"`
}

// StatusLookup answers the latest status entry for a code hash; the
// store's cache and the online check implement it.
type StatusLookup interface {
	Lookup(CodeHash) (StatusEntry, bool)
}

// StatusMap is an in-memory StatusLookup.
type StatusMap map[CodeHash]StatusEntry

func (m StatusMap) Lookup(h CodeHash) (StatusEntry, bool) { e, ok := m[h]; return e, ok }

// Apply merges entries into m, a newer entry replacing an older one.
func (m StatusMap) Apply(entries []StatusEntry) {
	for _, e := range entries {
		if old, ok := m[e.Hash]; !ok || e.Seq >= old.Seq {
			m[e.Hash] = e
		}
	}
}

// ParseStatusList opens a signed status list with the pinned key.
func ParseStatusList(data []byte, key []byte) (*StatusList, error) {
	body, err := OpenDoc(data, DocStatusList, key)
	if err != nil {
		return nil, err
	}
	var sl StatusList
	if err := json.Unmarshal(body, &sl); err != nil {
		return nil, fmt.Errorf("status list: %w", err)
	}
	for _, e := range sl.Entries {
		if !e.Colour.Valid() {
			return nil, fmt.Errorf("status list: entry %s has no colour", e.Hash)
		}
	}
	return &sl, nil
}
