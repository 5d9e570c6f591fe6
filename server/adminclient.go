package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hcscan/protocol"
)

// The running server writes where its admin API listens, and the secret
// for it, into the data directory (mode 0600): only someone who can read
// the data directory (and so the keys) can use it.
const (
	adminAddrFile   = "admin.addr"
	adminSecretFile = "admin.secret"
)

// NewAdminSecret makes a random secret for AdminHandler.
func NewAdminSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// WriteAdminFiles publishes the admin address and secret in dir.
func WriteAdminFiles(dir, addr, secret string) error {
	if err := writePrivateFile(filepath.Join(dir, adminSecretFile), []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin secret: %w", err)
	}
	if err := writePrivateFile(filepath.Join(dir, adminAddrFile), []byte(addr+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin address: %w", err)
	}
	return nil
}

// RemoveAdminFiles removes them when the server stops.
func RemoveAdminFiles(dir string) {
	os.Remove(filepath.Join(dir, adminAddrFile))
	os.Remove(filepath.Join(dir, adminSecretFile))
}

// AdminCall posts req to the admin API of the server running on dir and
// decodes its reply; ErrAdminNotRunning when none is found.
func AdminCall(ctx context.Context, dir, path string, req, reply any) error {
	addr, err1 := os.ReadFile(filepath.Join(dir, adminAddrFile))
	secret, err2 := os.ReadFile(filepath.Join(dir, adminSecretFile))
	if errors.Is(err1, fs.ErrNotExist) || errors.Is(err2, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s has no %s", ErrAdminNotRunning, dir, adminAddrFile)
	}
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+strings.TrimSpace(string(addr))+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", protocol.ContentTypeJSON)
	hr.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(secret)))
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAdminNotRunning, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("admin %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin %s: %w", path, protocol.ParseError(resp.StatusCode, data))
	}
	return json.Unmarshal(data, reply)
}

// writePrivateFile writes a small 0600 file through a rename, so a reader
// never sees half of it.
func writePrivateFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
