package pgstore

import (
	"context"
	"fmt"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/healthcode"
)

// Live status checks are the province's most frequent request, and each
// is one primary-key lookup: a database round trip costs far more than
// the lookup. Checks that arrive while others are being looked up wait
// for the next round trip and share it (one query for all their codes),
// so under load a round trip serves several checks, and with nothing in
// flight a check is looked up at once, alone. Every answer is read after
// its check arrived.
const (
	// statusReaders is how many round trips for checks may run at once.
	statusReaders = 4
	// statusBatch is the most codes one round trip looks up.
	statusBatch = 256
)

// statusReads queues the checks waiting for a round trip.
type statusReads struct {
	mu      gosync.Mutex
	queue   []*statusRead
	running int
}

type statusRead struct {
	hash  healthcode.CodeHash
	done  chan struct{}
	entry healthcode.StatusEntry
	found bool
	err   error
}

func (s *Store) Status(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, bool, error) {
	if err := ctx.Err(); err != nil {
		return healthcode.StatusEntry{}, false, fmt.Errorf("status: %w", err)
	}
	if e, found, ok := s.status.lookup(h, time.Now()); ok {
		return e, found, nil
	}
	r := &statusRead{hash: h, done: make(chan struct{})}
	q := &s.statusReads
	q.mu.Lock()
	q.queue = append(q.queue, r)
	start := q.running < statusReaders
	if start {
		q.running++
	}
	q.mu.Unlock()
	if start {
		go s.readStatuses()
	}
	select {
	case <-r.done:
		return r.entry, r.found, r.err
	case <-ctx.Done():
		// The round trip goes on for the others; this answer is dropped.
		return healthcode.StatusEntry{}, false, fmt.Errorf("status: %w", ctx.Err())
	}
}

// readStatuses looks up the queued checks, a batch per round trip, until
// none is left.
func (s *Store) readStatuses() {
	q := &s.statusReads
	for {
		q.mu.Lock()
		n := min(len(q.queue), statusBatch)
		if n == 0 {
			q.running--
			q.mu.Unlock()
			return
		}
		batch := q.queue[:n:n]
		q.queue = q.queue[n:]
		q.mu.Unlock()
		s.lookUpStatuses(batch)
	}
}

func (s *Store) lookUpStatuses(batch []*statusRead) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	ctx, cancel := bound(context.Background())
	defer cancel()
	var rows pgx.Rows
	var err error
	if len(batch) == 1 {
		rows, err = s.pool.Query(ctx, `SELECT hash, colour, updated, seq FROM status WHERE hash = $1`, batch[0].hash[:])
	} else {
		hashes := make([][]byte, len(batch))
		for i, r := range batch {
			hashes[i] = r.hash[:]
		}
		rows, err = s.pool.Query(ctx, `SELECT hash, colour, updated, seq FROM status WHERE hash = ANY($1)`, hashes)
	}
	var entries []healthcode.StatusEntry
	if err == nil {
		entries, err = pgx.CollectRows(rows, scanStatus)
	}
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("status: %w", err)
		}
		return
	}
	for _, e := range entries {
		for _, r := range batch {
			if r.hash == e.Hash {
				r.entry, r.found = e, true
			}
		}
	}
}
