package pgstore

import (
	"context"
	"errors"
	gosync "sync"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pgtest"
	"hcscan/server"
	"hcscan/server/storetest"
)

// testConcurrentStatusReads: many checks at once, sharing round trips,
// each get their own code's entry (or none), the same code asked twice
// included; a check whose caller left returns at once.
func testConcurrentStatusReads(t *testing.T, pg *pgtest.Server) {
	st := openTest(t, pg.NewDatabase(t), storetest.Options{})
	defer st.Close()
	st.status.mu.Lock()
	st.status.off = true // the database answers every check here
	st.status.mu.Unlock()
	ctx := t.Context()
	var changes []server.StatusChange
	colours := []healthcode.Colour{healthcode.Green, healthcode.Yellow, healthcode.Red}
	for i := 0; i < 250; i += 2 { // even codes have a colour, odd ones none
		changes = append(changes, server.StatusChange{Hash: storetest.HashOf(byte(i)), Colour: colours[i%3]})
	}
	if _, _, err := st.SetStatus(ctx, changes, time.Now()); err != nil {
		t.Fatal(err)
	}
	var wg gosync.WaitGroup
	errs := make(chan error, 1000)
	for w := 0; w < 1000; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := w % 250
			h := storetest.HashOf(byte(i))
			e, found, err := st.Status(ctx, h)
			switch {
			case err != nil:
				errs <- err
			case found != (i%2 == 0):
				errs <- errors.New("found the wrong codes")
			case found && (e.Hash != h || e.Colour != colours[i%3]):
				errs <- errors.New("an entry of another code")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := st.Status(gone, storetest.HashOf(2)); !errors.Is(err, context.Canceled) {
		t.Errorf("a check whose caller left: %v", err)
	}
}
