package storetest

import (
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// testStatusInPages: a snapshot and a delta read in pages of 7 give every
// code once, at its latest colour, in sequence order, and end at the head
// sequence; a store may answer in fewer pages (bbolt's snapshot is one).
func testStatusInPages(t *testing.T, open Open) {
	st := open(t, Options{})
	defer st.Close()
	ctx := t.Context()
	now := time.Now()
	colours := []healthcode.Colour{healthcode.Red, healthcode.Yellow, healthcode.Green}
	want := map[healthcode.CodeHash]healthcode.Colour{}
	for round := 0; round < 2; round++ {
		var changes []server.StatusChange
		for i := 0; i < 25; i++ {
			if round == 1 && i%3 != 0 {
				continue // a third of the codes change again
			}
			c := server.StatusChange{Hash: HashOf(byte(i)), Colour: colours[(i+round)%len(colours)]}
			changes = append(changes, c)
			want[c.Hash] = c.Colour
		}
		if _, _, err := st.SetStatus(ctx, changes, now); err != nil {
			t.Fatal(err)
		}
	}
	head, err := st.StatusSince(ctx, 0, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	read := func(since uint64) (map[healthcode.CodeHash]healthcode.Colour, uint64, int) {
		t.Helper()
		got := map[healthcode.CodeHash]healthcode.Colour{}
		pages, last := 0, uint64(0)
		for {
			sl, err := st.StatusSince(ctx, since, 7, now)
			if err != nil {
				t.Fatalf("page %d since %d: %v", pages, since, err)
			}
			pages++
			if len(sl.Entries) > 7 && sl.More {
				t.Fatalf("page of %d entries, limit 7", len(sl.Entries))
			}
			for _, e := range sl.Entries {
				if e.Seq <= last || e.Seq <= since {
					t.Fatalf("entry seq %d after %d (since %d): not in order", e.Seq, last, since)
				}
				last = e.Seq
				got[e.Hash] = e.Colour
			}
			if !sl.More {
				return got, sl.Seq, pages
			}
			since = sl.Seq
		}
	}
	got, seq, pages := read(0)
	if seq != head.Seq || len(got) != len(want) {
		t.Fatalf("snapshot in %d pages: %d codes up to %d, want %d up to %d", pages, len(got), seq, len(want), head.Seq)
	}
	for h, c := range want {
		if got[h] != c {
			t.Errorf("code %s is %v in the snapshot, want %v", h, got[h], c)
		}
	}
	// The delta after the first round: the codes changed again.
	got, seq, pages = read(25)
	if seq != head.Seq || len(got) != 9 || pages < 2 {
		t.Errorf("delta since 25 in %d pages: %d codes up to %d, want 9 in 2 pages up to %d", pages, len(got), seq, head.Seq)
	}
}
