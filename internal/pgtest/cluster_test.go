package pgtest

import (
	"context"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestClusterFailover: every row whose commit the primary acknowledged is
// on the standby promoted after the primary was killed, and the
// multi-host connection string reaches the new primary.
func TestClusterFailover(t *testing.T) {
	c := StartCluster(t)
	url := c.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE acked (n int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if _, err := conn.Exec(ctx, "INSERT INTO acked VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
	}
	c.Primary.Kill(t)
	if _, err := conn.Exec(ctx, "INSERT INTO acked VALUES (-1)"); err == nil {
		t.Fatal("the killed primary still took a write")
	}
	conn.Close(ctx)
	if _, err := pgx.Connect(ctx, url); err == nil {
		t.Fatal("connected for writing while only the standby (read-only) runs")
	}
	c.Standby.Promote(t)
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect after promotion: %v", err)
	}
	defer conn.Close(ctx)
	var count int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM acked").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("the promoted standby holds %d of the %d acknowledged rows", count, n)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO acked VALUES ($1)", n); err != nil {
		t.Fatalf("write after promotion: %v", err)
	}
	var port string
	if err := conn.QueryRow(ctx, "SELECT current_setting('port')").Scan(&port); err != nil {
		t.Fatal(err)
	}
	if port != strconv.Itoa(c.Standby.Port()) {
		t.Errorf("connected to port %s, want the standby's %d", port, c.Standby.Port())
	}
}
