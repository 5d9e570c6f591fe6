package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/internal/pemkey"
)

// DeviceKeyFile is the name of the device's private key file, next to the
// data file.
const DeviceKeyFile = "device.key"

var kIdentity = []byte("identity")

// Device is this scanner's enrolment: who it is for the province.
type Device struct {
	ID              string             `json:"device_id"`
	Institution     string             `json:"institution"`
	InstitutionName string             `json:"institution_name,omitempty"`
	Gate            string             `json:"gate"`
	ServerURL       string             `json:"server_url"`
	RootKey         ed25519.PublicKey  `json:"root_key,omitempty"`   // pinned trust root
	ServerKey       ed25519.PublicKey  `json:"server_key,omitempty"` // signs status lists and replies
	SealKey         []byte             `json:"seal_key,omitempty"`   // province X25519 key for manual entries (32 bytes)
	Key             ed25519.PrivateKey `json:"key,omitempty"`        // this device's request-signing key
	Enrolled        time.Time          `json:"enrolled"`
}

// KeyPath is where the device key file lives for this data file.
func (s *Store) KeyPath() string { return filepath.Join(filepath.Dir(s.path), DeviceKeyFile) }

// SaveDevice stores the enrolment and writes the device key to
// device.key (PKCS#8 PEM, mode 0600) next to the data file.
func (s *Store) SaveDevice(d Device) error {
	if len(d.Key) == ed25519.PrivateKeySize {
		if err := pemkey.WriteFileAtomic(s.KeyPath(), pemkey.EncodePrivate(d.Key), 0o600); err != nil {
			return fmt.Errorf("save device key: %w", writeError(s.KeyPath(), err))
		}
	}
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bDevice).Put(kIdentity, v) }); err != nil {
		return fmt.Errorf("save device identity: %w", err)
	}
	return nil
}

// SetSealKey replaces the province's sealing key in the enrolment (the
// province rotated it; its root-signed trust list names the new one).
func (s *Store) SetSealKey(key []byte) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDevice)
		v := b.Get(kIdentity)
		if v == nil {
			return errors.New("not enrolled")
		}
		var d Device
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		d.SealKey = append([]byte(nil), key...)
		nv, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return b.Put(kIdentity, nv)
	})
	if err != nil {
		return fmt.Errorf("save sealing key: %w", err)
	}
	return nil
}

// Device returns the enrolment; ok is false before enrolment. When the
// file lost the key, the key is read from device.key.
func (s *Store) Device() (d Device, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDevice).Get(kIdentity)
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &d)
	})
	if err != nil {
		return Device{}, false, fmt.Errorf("device identity: %w", err)
	}
	if ok && len(d.Key) != ed25519.PrivateKeySize {
		k, kerr := ReadDeviceKey(s.KeyPath())
		if kerr != nil {
			return d, ok, kerr
		}
		d.Key = k
	}
	return d, ok, nil
}

// ReadDeviceKey reads a device.key file.
func ReadDeviceKey(path string) (ed25519.PrivateKey, error) {
	k, err := pemkey.ReadPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	return k, nil
}

// Setting returns a setting's value; ok is false when unset.
func (s *Store) Setting(key string) (value string, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bSettings).Get([]byte(key))
		value, ok = string(v), v != nil
		return nil
	})
	return value, ok, err
}

// SetSetting stores a setting.
func (s *Store) SetSetting(key, value string) error {
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bSettings).Put([]byte(key), []byte(value)) }); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// Settings returns every setting.
func (s *Store) Settings() (map[string]string, error) {
	out := map[string]string{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bSettings).ForEach(func(k, v []byte) error {
			out[string(k)] = string(bytes.Clone(v))
			return nil
		})
	})
	return out, err
}
