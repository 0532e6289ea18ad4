package config

import (
	"os"
	"testing"
)

// docs/configuration.md is generated: it must match the struct.
func TestConfigurationDocIsCurrent(t *testing.T) {
	want := Markdown()
	got, err := os.ReadFile("../../docs/configuration.md")
	if err != nil || string(got) != want {
		t.Fatalf("docs/configuration.md is stale: run `go run ./cmd/cubed config --markdown > docs/configuration.md`")
	}
}

func TestDefaultsAndEnv(t *testing.T) {
	t.Setenv("CUBED_DATA", "/tmp/x")
	t.Setenv("CUBED_MAX_OPEN_CLIENTS", "nope")
	c := Defaults()
	if c.DataDir != "/tmp/x" || c.Addr != "127.0.0.1:8080" || c.APIRatePerMinute != 1200 || c.MaxOpenClients != -1 {
		t.Fatalf("%+v", c)
	}
	if err := c.Validate(); err == nil {
		t.Fatal("a malformed CUBED_MAX_OPEN_CLIENTS must be refused")
	}
	for _, f := range Reference() {
		if f.Env == "" || f.Help == "" {
			t.Errorf("field %s lacks env or help", f.Name)
		}
	}
}
