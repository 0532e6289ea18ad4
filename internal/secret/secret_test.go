package secret

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := b.Seal("refresh-token-value", "connection:1:refresh")
	s2, _ := b.Seal("refresh-token-value", "connection:1:refresh")
	if s1 == s2 || strings.Contains(s1, "refresh-token-value") {
		t.Fatalf("sealed values must be randomised and opaque: %q %q", s1, s2)
	}
	if got, err := b.Open(s1, "connection:1:refresh"); err != nil || got != "refresh-token-value" {
		t.Fatalf("open: %q %v", got, err)
	}
	tests := []struct{ name, sealed, aad string }{
		{"other context", s1, "connection:2:refresh"},
		{"tampered", s1[:len(s1)-4] + "AAAA", "connection:1:refresh"},
		{"no version", strings.TrimPrefix(s1, "v1:"), "connection:1:refresh"},
		{"garbage", "v1:!!!", "connection:1:refresh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.Open(tc.sealed, tc.aad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("want ErrDecrypt, got %v", err)
			}
		})
	}
	other, _ := New(make([]byte, 32))
	if _, err := other.Open(s1, "connection:1:refresh"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("another key must not open it: %v", err)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("", ""); !errors.Is(err, ErrNoKey) {
		t.Fatalf("no key: %v", err)
	}
	if _, err := Load("c2hvcnQ=", ""); err == nil {
		t.Fatal("a short key must be refused")
	}
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	if _, err := Load(good, ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key")
	if err := GenerateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
	first, _ := os.ReadFile(path)
	if err := GenerateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if string(first) != string(second) {
		t.Fatal("an existing key file must never be replaced")
	}
	if _, err := Load("", path); err != nil {
		t.Fatal(err)
	}
}
