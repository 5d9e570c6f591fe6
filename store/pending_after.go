package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// PendingAfter is PendingBatch starting after the record with sequence
// number seq (0: from the oldest): the sync client reads the next batch
// while earlier ones are still travelling, without reading those again.
//
// Added by the sync client engineer (issue 7) as a minimal addition; the
// store's owner may fold it into outbox.go.
func (s *Store) PendingAfter(seq uint64, max int) ([]healthcode.Record, error) {
	var out []healthcode.Record
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, _ := c.Seek(u64(seq + 1)); k != nil && len(out) < max; k, _ = c.Next() {
			r, err := recordBySeq(tx, k)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending records after %d: %w", seq, err)
	}
	return out, nil
}
