package server

import (
	"context"
	"crypto/ed25519"
	"time"
)

// Device is an enrolled scanner.
type Device struct {
	ID          string            `json:"id"`
	PublicKey   ed25519.PublicKey `json:"public_key"`
	Institution string            `json:"institution"`
	Gate        string            `json:"gate"`
	Name        string            `json:"name,omitempty"`
	Software    string            `json:"software,omitempty"`
	Enrolled    time.Time         `json:"enrolled"`
	Disabled    bool              `json:"disabled,omitempty"`
}

// DeviceStore keeps the enrolled scanners.
type DeviceStore interface {
	// Device finds a device (ErrNotFound).
	Device(ctx context.Context, id string) (Device, error)
	// Devices lists an institution's devices.
	Devices(ctx context.Context, institution string) ([]Device, error)
	// SetDeviceDisabled stops (or allows again) a device of an institution,
	// e.g. a lost laptop: its signed requests get 403.
	SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error
}
