package portal_test

import (
	"encoding/hex"
	"io"
	"log/slog"
)

func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func hexOf(b []byte) string { return hex.EncodeToString(b) }
