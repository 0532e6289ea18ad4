// Package secret encrypts values at rest (OAuth tokens) with AES-256-GCM.
// The key comes from CUBED_SECRET_KEY (base64 of 32 bytes) or a key file.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
}

// ErrNoKey means no key was configured.
var ErrNoKey = errors.New("no secret key: set CUBED_SECRET_KEY (base64 of 32 random bytes) or --secret-key-file")

// New builds a Box from a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a base64 (standard or URL, padded or not) key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != 32 {
				return nil, fmt.Errorf("secret key must decode to 32 bytes, got %d", len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("secret key is not base64")
}

// Load reads the key from the environment value or the file (file wins
// when both are given); it returns ErrNoKey when neither is set.
func Load(envValue, file string) (*Box, error) {
	raw := envValue
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("secret key file: %w", err)
		}
		raw = string(b)
	}
	if strings.TrimSpace(raw) == "" {
		return nil, ErrNoKey
	}
	k, err := ParseKey(raw)
	if err != nil {
		return nil, err
	}
	return New(k)
}

// GenerateKeyFile writes a new random key to path (mode 0600) unless the
// file exists, and returns the path.
func GenerateKeyFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600)
}

// Seal encrypts plaintext; the result is base64 of nonce||ciphertext.
// aad binds the value to its context (e.g. "connection:42:access").
func (b *Box) Seal(plaintext, aad string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return "v1:" + base64.StdEncoding.EncodeToString(out), nil
}

// ErrDecrypt means a value was tampered with, bound to another context, or
// sealed with another key.
var ErrDecrypt = errors.New("cannot decrypt value")

// Open decrypts a value from Seal.
func (b *Box) Open(sealed, aad string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", ErrDecrypt
	}
	data, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(data) < b.aead.NonceSize() {
		return "", ErrDecrypt
	}
	n := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, data[:n], data[n:], []byte(aad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(pt), nil
}
