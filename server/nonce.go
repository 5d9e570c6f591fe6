package server

import (
	"context"
	"time"

	"hcscan/protocol"
)

// NonceStore remembers the nonces of signed requests, so a replayed
// request is refused.
type NonceStore interface {
	// CheckNonce remembers the nonce of a signed request until forget and
	// reports whether it is new (false: a replay). Every server process in
	// front of the store shares what it remembers. ErrNonceWindowFull when
	// it cannot remember more (answered 503).
	CheckNonce(ctx context.Context, deviceID, nonce string, forget, now time.Time) (fresh bool, err error)
}

// nonceForget is how long a nonce must be remembered: while a request
// with its time could still be accepted.
func nonceForget(reqTime, now time.Time) time.Time {
	until := reqTime
	if now.After(until) {
		until = now
	}
	return until.Add(protocol.ClockSkew + time.Minute)
}
