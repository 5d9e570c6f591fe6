package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/protocol"
)

// startServe runs the real `hcserver serve` on port 0 and returns its URL.
func startServe(t testing.TB, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd, url, _ := startServeArgs(t, "--data", data)
	return cmd, url
}

func enrolOver(t testing.TB, url, token string) (protocol.EnrollReply, ed25519.PrivateKey) {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	body, _ := json.Marshal(protocol.NewEnrollRequest(token, key, "cli test"))
	resp, err := http.Post(url+protocol.PathEnroll, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var rep protocol.EnrollReply
	if resp.StatusCode != 200 || json.Unmarshal(data, &rep) != nil {
		t.Fatalf("enrol: %d %s", resp.StatusCode, data)
	}
	return rep, key
}

func liveColour(t testing.TB, url string, rep protocol.EnrollReply, key ed25519.PrivateKey, h healthcode.CodeHash) healthcode.Colour {
	t.Helper()
	req, _ := http.NewRequest("GET", url+protocol.LiveStatusURI(h), nil)
	protocol.SignRequest(req, nil, rep.DeviceID, key, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ls protocol.LiveStatus
	if err := json.NewDecoder(resp.Body).Decode(&ls); err != nil || resp.StatusCode != 200 {
		t.Fatalf("live status: %d %v", resp.StatusCode, err)
	}
	return ls.Colour
}

// TestServeTokenStatus drives the real binaries: tokens and colour changes
// reach a running server through its admin API, and the database directly
// when the server is gone (even after SIGKILL left its admin files behind).
func TestServeTokenStatus(t *testing.T) {
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	// An enrolment token made before the server starts (database free).
	tok1, stderr, code := run(t, "", "hcserver", "token", "--data", data, "--institution", "第一中学", "--gate", "北门")
	if code != 0 || strings.TrimSpace(tok1) == "" {
		t.Fatalf("token offline: %d %s", code, stderr)
	}
	srv, url := startServe(t, data)
	rep, key := enrolOver(t, url, strings.TrimSpace(tok1))
	if rep.Institution != "第一中学" || rep.Gate != "北门" {
		t.Fatalf("enrolled as %q/%q", rep.Institution, rep.Gate)
	}
	// While it runs: a second token and colour changes go through the admin API.
	tok2, stderr, code := run(t, "", "hcserver", "token", "--data", data, "--institution", "第一中学", "--gate", "南门")
	if code != 0 {
		t.Fatalf("token online: %d %s", code, stderr)
	}
	rep2, _ := enrolOver(t, url, strings.TrimSpace(tok2))
	if rep2.Gate != "南门" {
		t.Errorf("second device gate %q", rep2.Gate)
	}
	h1 := healthcode.CodeHash{1, 2, 3}
	h2 := healthcode.CodeHash{4, 5, 6}
	out, stderr, code := run(t, "", "hcserver", "status", "set", "--data", data, "--code-hash", h1.String(), "--colour", "red")
	if code != 0 || !strings.Contains(out, "status sequence 1") {
		t.Fatalf("status set online: %d %q %s", code, out, stderr)
	}
	out, stderr, code = run(t, h1.String()+" yellow\n# a comment\n\n"+h2.String()+" 红\n", "hcserver", "status", "set", "--data", data, "--file", "-")
	if code != 0 || !strings.Contains(out, "2 codes set") {
		t.Fatalf("status set --file: %d %q %s", code, out, stderr)
	}
	if c := liveColour(t, url, rep, key, h1); c != healthcode.Yellow {
		t.Errorf("live colour of h1 %v, want yellow", c)
	}
	if c := liveColour(t, url, rep, key, h2); c != healthcode.Red {
		t.Errorf("live colour of h2 %v, want red", c)
	}
	_, stderr, code = run(t, "", "hcserver", "status", "set", "--data", data, "--code-hash", "xyz", "--colour", "red")
	if code != cli.ExitUsage || stderr == "" {
		t.Errorf("bad hash: %d %q", code, stderr)
	}
	portal, _, code := run(t, "", "hcserver", "token", "--data", data, "--institution", "第一中学", "--portal")
	if code != 0 || strings.TrimSpace(portal) == "" {
		t.Errorf("portal token: %d", code)
	}

	// SIGKILL: the admin files stay behind; commands still work, offline.
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	if _, err := os.Stat(filepath.Join(data, "admin.addr")); err != nil {
		t.Logf("admin.addr gone after SIGKILL: %v", err)
	}
	out, stderr, code = run(t, "", "hcserver", "status", "set", "--data", data, "--code-hash", h2.String(), "--colour", "green")
	if code != 0 || !strings.Contains(out, "status sequence 4") {
		t.Fatalf("status set after SIGKILL: %d %q %s", code, out, stderr)
	}
	_, url = startServe(t, data)
	if c := liveColour(t, url, rep, key, h2); c != healthcode.Green {
		t.Errorf("after restart h2 is %v, want green", c)
	}
	fi, err := os.Stat(filepath.Join(data, "admin.secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.secret: %v %v", fi, err)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	data := t.TempDir()
	if _, stderr, code := run(t, "", "hcserver", "serve", "--data", data, "--addr", "127.0.0.1:0"); code != cli.ExitUsage || !strings.Contains(stderr, "keys init") {
		t.Errorf("serve without keys: %d %q", code, stderr)
	}
	if _, stderr, code := run(t, "", "hcserver", "serve", "--data", data, "--admin-addr", "0.0.0.0:0"); code != cli.ExitUsage || !strings.Contains(stderr, "loopback") {
		t.Errorf("public admin address: %d %q", code, stderr)
	}
	if _, stderr, code := run(t, "", "hcserver", "token", "--data", data, "--institution", "x"); code != cli.ExitUsage || !strings.Contains(stderr, "--gate") {
		t.Errorf("token without gate: %d %q", code, stderr)
	}
}

// TestServeTLSAndStop: --tls-cert/--tls-key serve HTTPS, and SIGTERM stops
// the server cleanly, removing its admin files.
func TestServeTLSAndStop(t *testing.T) {
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	certPEM, keyPEM := selfSignedCert(t)
	certFile, keyFile := filepath.Join(t.TempDir(), "cert.pem"), filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)

	cmd := exec.Command(filepath.Join(binDir, "hcserver"), "serve", "--data", data, "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	m := regexp.MustCompile(`on (https://[^/ ]+)/`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("serve with TLS printed %q\n%s", line, stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(m[1] + protocol.PathTrustList)
	if err != nil {
		t.Fatal(err)
	}
	var er protocol.ErrorReply
	json.NewDecoder(resp.Body).Decode(&er)
	resp.Body.Close()
	if resp.StatusCode != 401 || er.Code != protocol.ErrUnsigned || resp.TLS == nil {
		t.Errorf("unsigned request over TLS: %d %q", resp.StatusCode, er.Code)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(data, "admin.addr")); !os.IsNotExist(err) {
		t.Errorf("admin.addr left after a clean stop: %v", err)
	}
}

func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}
