package healthcode

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"testing"
)

// Signatures are byte for byte those of crypto/ed25519, and every
// signature, altered or not, is accepted exactly when crypto/ed25519
// accepts it.
func TestEd25519SameAsStandardLibrary(t *testing.T) {
	for i := 0; i < 200; i++ {
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, i)
		rand.Read(msg)
		sig := SignEd25519(key, msg)
		if want := ed25519.Sign(key, msg); !bytes.Equal(sig, want) {
			t.Fatalf("signature %x, crypto/ed25519 gives %x", sig, want)
		}
		pk, err := NewEd25519Key(pub)
		if err != nil {
			t.Fatal(err)
		}
		for j, s := range [][]byte{sig, flipBit(sig, i%64), flipBit(sig, 63), sig[:63]} {
			want := ed25519.Verify(pub, msg, s)
			if j == 0 && !want {
				t.Fatal("crypto/ed25519 refuses its own signature")
			}
			if got := VerifyEd25519(pub, msg, s); got != want {
				t.Errorf("Verify of case %d: %v, crypto/ed25519 says %v", j, got, want)
			}
			if got := pk.Verify(msg, s); got != want {
				t.Errorf("Ed25519Key.Verify of case %d: %v, crypto/ed25519 says %v", j, got, want)
			}
		}
		if len(msg) > 0 && (VerifyEd25519(pub, flipBit(msg, 0), sig) || pk.Verify(flipBit(msg, 0), sig)) {
			t.Error("a changed message verifies")
		}
	}
}

// The edges where Ed25519 implementations differ are decided as
// crypto/ed25519 decides them: a small-order public key with the identity
// as R and S = 0 (accepted: the equation holds), and S not reduced
// (S + ℓ: refused).
func TestEd25519EdgeCasesAsStandardLibrary(t *testing.T) {
	identity, _ := hex.DecodeString("0100000000000000000000000000000000000000000000000000000000000000")
	msg := []byte("edge")
	zeroSig := append(append([]byte{}, identity...), make([]byte, 32)...)
	if got, want := VerifyEd25519(identity, msg, zeroSig), ed25519.Verify(identity, msg, zeroSig); got != want {
		t.Errorf("small-order key: %v, crypto/ed25519 says %v", got, want)
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	sig := SignEd25519(key, msg)
	// S + ℓ, little-endian, still 32 bytes.
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	s := new(big.Int).SetBytes(reversed(sig[32:]))
	s.Add(s, l)
	high := reversed(s.FillBytes(make([]byte, 32)))
	malleable := append(append([]byte{}, sig[:32]...), high...)
	if ed25519.Verify(pub, msg, malleable) {
		t.Fatal("crypto/ed25519 accepts S + ℓ: the test's premise is wrong")
	}
	if VerifyEd25519(pub, msg, malleable) {
		t.Error("a signature with S + ℓ verifies")
	}
	if VerifyEd25519(pub[:31], msg, sig) {
		t.Error("a short public key verifies")
	}
	if _, err := NewEd25519Key(pub[:31]); err == nil {
		t.Error("NewPublicKey takes a short key")
	}
}

func flipBit(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x01
	return c
}

func reversed(b []byte) []byte {
	c := make([]byte, len(b))
	for i := range b {
		c[len(b)-1-i] = b[i]
	}
	return c
}

func BenchmarkSignEd25519(b *testing.B) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("hcscan-live-status-v1\nnonce\nhash\ntrue\n3\n0\n1\n0")
	for b.Loop() {
		SignEd25519(key, msg)
	}
}

func BenchmarkVerifyEd25519(b *testing.B) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("hcscan-request-v1\nGET\n/v1/status/x\n0\nnonce\ndevice\nhash")
	sig := SignEd25519(key, msg)
	for b.Loop() {
		VerifyEd25519(pub, msg, sig)
	}
}
