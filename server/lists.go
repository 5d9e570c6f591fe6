package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// handleTrustList serves the signed trust list (GET /v1/trust-list) with an
// ETag, so an unchanged list costs a 304.
func (s *Server) handleTrustList(w http.ResponseWriter, r *http.Request, _ Device, _ []byte) {
	s.trustMu.RLock()
	ts := s.trust
	s.trustMu.RUnlock()
	sum := sha256.Sum256(ts.Doc)
	etag := fmt.Sprintf(`"tl-%d-%s"`, ts.Seq, hex.EncodeToString(sum[:6]))
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	for _, m := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if m = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m), "W/")); m == etag || m == "*" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(ts.Doc)
}

// handleStatus serves the signed status changes since ?since= (GET
// /v1/status), the whole list for since=0, or 410 when that history is gone.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request, _ Device, _ []byte) {
	q := r.URL.Query()
	var since uint64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "since must be a sequence number, not "+strconv.Quote(v))
			return
		}
		since = n
	}
	sl, err := s.store.StatusSince(r.Context(), since, s.cfg.StatusPage, s.now())
	if errors.Is(err, ErrStatusGone) {
		s.fail(w, http.StatusGone, protocol.ErrStatusGone, fmt.Sprintf("no status history since %d; fetch %s", since, protocol.StatusURI(0)))
		return
	}
	if err != nil {
		s.unavailable(w, "read the status list", err)
		return
	}
	body, err := json.Marshal(sl)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "encode status list")
		return
	}
	w.Header().Set(protocol.HeaderStatusSeq, strconv.FormatUint(sl.Seq, 10))
	s.writeJSON(w, http.StatusOK, healthcode.SignDoc(healthcode.DocStatusList, body, s.keys.Server))
}

// handleLiveStatus answers one code's current colour (GET
// /v1/status/{hash}) for an online check.
func (s *Server) handleLiveStatus(w http.ResponseWriter, r *http.Request, _ Device, _ []byte) {
	h, err := healthcode.ParseCodeHash(r.PathValue("hash"))
	if err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
		return
	}
	e, found, err := s.store.Status(r.Context(), h)
	if err != nil {
		s.unavailable(w, "read a code's status", err)
		return
	}
	ls := protocol.LiveStatus{Hash: h, Known: found, ServerTime: s.now().UTC()}
	if found {
		ls.Colour, ls.Updated, ls.Seq = e.Colour, e.Updated, e.Seq
	}
	ls.Sign(s.keys.Server, r.Header.Get(protocol.HeaderNonce))
	s.writeJSON(w, http.StatusOK, ls)
}
