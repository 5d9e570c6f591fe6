package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"hcscan/protocol"
)

// Pages are web pages served beside the scanner API: the institution
// portal (package server/portal) adds its routes under /portal/ and
// answers the paths nothing serves (outside /v1/) with its own page.
type Pages interface {
	Routes(mux *http.ServeMux)
	NotFound(w http.ResponseWriter, r *http.Request)
}

// Handler serves the scanner API (/v1/) and pages (nil: none), with the
// server time on every response.
func (s *Server) Handler(pages Pages) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/enroll", s.method(http.MethodPost, s.handleEnroll))
	mux.HandleFunc("/v1/root", s.method(http.MethodGet, s.handleRoot))
	mux.HandleFunc("/v1/trust-list", s.method(http.MethodGet, s.signed(0, s.handleTrustList)))
	mux.HandleFunc("/v1/status", s.method(http.MethodGet, s.signed(0, s.handleStatus)))
	mux.HandleFunc("/v1/status/{hash}", s.method(http.MethodGet, s.signed(0, s.handleLiveStatus)))
	mux.HandleFunc("/v1/records", s.method(http.MethodPost, s.signed(protocol.MaxRecordsBody, s.handleRecords)))
	mux.HandleFunc(protocol.PathRoster, s.method(http.MethodGet, s.signed(0, s.handleRoster)))
	mux.HandleFunc(protocol.PathAlertAcks, s.method(http.MethodPost, s.signed(protocol.MaxAlertAcksBody, s.handleAlertAcks)))
	mux.HandleFunc(protocol.PathStaff, s.method(http.MethodGet, s.signed(0, s.handleStaff)))
	mux.HandleFunc(protocol.PathStaffPIN, s.method(http.MethodPost, s.signed(4<<10, s.handleStaffPIN)))
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, protocol.ErrNotFound, "no such endpoint: "+r.URL.Path)
	})
	if pages != nil {
		pages.Routes(mux)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/portal/", http.StatusSeeOther)
			return
		}
		if pages != nil {
			pages.NotFound(w, r)
			return
		}
		s.fail(w, http.StatusNotFound, protocol.ErrNotFound, "no such page: "+r.URL.Path)
	})
	return s.stamp(mux)
}

// SetSecurityHeaders puts on h what every response carries, API and pages
// alike: no script, style only from this origin, never framed, no
// sniffing, no referrer; HSTS on TLS.
func SetSecurityHeaders(h http.Header, tls bool) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if tls {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// stamp puts the server time and the security headers on every response
// and turns a panic into a 500.
func (s *Server) stamp(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protocol.SetServerTime(w.Header(), s.now())
		SetSecurityHeaders(w.Header(), r.TLS != nil)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "internal error")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *Server) method(m string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			s.fail(w, http.StatusMethodNotAllowed, protocol.ErrMethodNotAllowed, r.Method+" is not allowed here; use "+m)
			return
		}
		h(w, r)
	}
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	s.writeJSON(w, status, protocol.ErrorReply{Code: code, Message: msg, ServerTime: s.now().UTC()})
}

// unavailable answers 503 with Retry-After when the store failed while
// doing what (the database down or failing over, the disk full): every
// such failure is temporary for the scanner, which keeps its records and
// tries again. The cause goes to the log, a short true sentence to the
// scanner.
func (s *Server) unavailable(w http.ResponseWriter, what string, err error) {
	w.Header().Set("Retry-After", "5")
	if errors.Is(err, ErrStorageFull) {
		s.log.Error(what+": storage full", "err", err)
		s.fail(w, http.StatusServiceUnavailable, protocol.ErrStorageFull, "the province's storage is full; records stay on this scanner")
		return
	}
	s.log.Error(what, "err", err)
	s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, "the province's database is not available; try again later")
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode reply", "err", err)
		status, data = http.StatusInternalServerError, []byte(`{"error":"internal","message":"encode reply"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// NewHTTPServer wraps a handler with the timeouts a public server needs, so
// slow or stalled clients cannot hold connections and memory.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// readBody reads at most limit bytes; false when it answered an error.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if limit <= 0 {
		limit = 1 << 10 // GETs carry no body
	}
	// The buffer grows as bytes arrive: a declared length is a claim, and
	// memory given to it before the bytes came would be the sender's to take.
	var buf bytes.Buffer
	buf.Grow(int(min(max(r.ContentLength, 0), smallBody)) + bytes.MinRead)
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, http.StatusRequestEntityTooLarge, protocol.ErrTooLarge, fmt.Sprintf("request body is larger than %d bytes", limit))
			return nil, false
		}
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "could not read the request body: "+err.Error())
		return nil, false
	}
	return body, true
}

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("extra data after the JSON value")
	}
	return nil
}

func (s *Server) requireJSON(w http.ResponseWriter, r *http.Request) bool {
	if !protocol.IsJSON(r.Header.Get("Content-Type")) {
		s.fail(w, http.StatusUnsupportedMediaType, protocol.ErrUnsupportedMedia, "Content-Type must be application/json, not "+strconv.Quote(r.Header.Get("Content-Type")))
		return false
	}
	return true
}
