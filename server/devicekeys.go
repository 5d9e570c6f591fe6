package server

import (
	"crypto/ed25519"
	gosync "sync"

	"hcscan/healthcode"
)

// deviceKeys keeps the public keys of the devices that signed lately
// decompressed, with their precomputed tables (healthcode.Ed25519Key):
// verifying a request's signature then costs about a quarter less CPU.
// A key takes some 1.5 KB so prepared, so the process keeps at most
// maxDeviceKeys of them and starts over when full; a device whose key is
// not kept costs the preparation (a fifth of a verification) on its next
// request, which is what an idle device's check costs anyway.
type deviceKeys struct {
	mu gosync.Mutex
	m  map[string]*healthcode.Ed25519Key
}

// maxDeviceKeys bounds deviceKeys to some 25 MB.
const maxDeviceKeys = 16384

// get returns pub prepared for verifying, from memory when it can.
func (c *deviceKeys) get(pub ed25519.PublicKey) (*healthcode.Ed25519Key, error) {
	c.mu.Lock()
	k, ok := c.m[string(pub)]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := healthcode.NewEd25519Key(pub)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxDeviceKeys {
		c.m = make(map[string]*healthcode.Ed25519Key)
	}
	c.m[string(pub)] = k
	c.mu.Unlock()
	return k, nil
}
