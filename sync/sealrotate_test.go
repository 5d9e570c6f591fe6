package sync

import (
	"bytes"
	"context"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
	"hcscan/store"
)

// TestSealKeyRotation: the province rotates its sealing key; the scanner
// learns the new key from the root-signed trust list at its next sync and
// seals to it; the identities sealed before and after the rotation both
// open on the server (the old key is kept as a retired key).
func TestSealKeyRotation(t *testing.T) {
	w := newWorld(t)
	st := w.scanner(w.URL)
	c := newClient(t, st, Options{})
	ctx := context.Background()
	manual := func(name string) string {
		t.Helper()
		dev, _, err := st.Device()
		if err != nil {
			t.Fatal(err)
		}
		var pub [32]byte
		copy(pub[:], dev.SealKey)
		sealed, err := store.SealIdentity(&pub, name, "110105199001011234", "13800000000")
		if err != nil {
			t.Fatal(err)
		}
		r := makeRecords(1, time.Now())[0]
		r.Manual, r.Sealed, r.CodeHash, r.ManualReason = true, sealed, healthcode.CodeHash{}, "no phone"
		if err := st.AppendBatch(ctx, []*healthcode.Record{r}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SyncOnce(ctx, nil); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	before := manual("张三丰")
	oldKey, _, _ := st.Device()

	if _, err := server.RotateSealKey(w.dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.srv.ReloadKeys(ctx); err != nil {
		t.Fatalf("reload after rotation: %v", err)
	}
	if _, err := c.SyncOnce(ctx, nil); err != nil {
		t.Fatal(err)
	}
	newKey, _, _ := st.Device()
	if bytes.Equal(newKey.SealKey, oldKey.SealKey) || !bytes.Equal(newKey.SealKey, w.srv.Keys().SealPublic()) {
		t.Fatalf("the scanner's sealing key after the sync is not the province's new one")
	}
	after := manual("李四")

	dev, _, _ := st.Device()
	for id, name := range map[string]string{before: "张三丰", after: "李四"} {
		got, _, err := w.srv.OpenIdentity(ctx, dev.Institution, "tracer", dev.ID, id, "case 12")
		if err != nil || got.Name != name {
			t.Errorf("identity of %s: %+v %v, want %s", id, got, err, name)
		}
	}
}
