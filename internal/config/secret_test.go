package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/config"
)

// weakSecrets are keys of at least MinSecretBytes that production refuses.
var weakSecrets = map[string]string{
	"one repeated character": strings.Repeat("k", 40),
	"changeme":               "changeme-changeme-changeme-changeme-42",
	"secret…":                "Secret_Key_For_Production_2024_abcdefghij",
	"few distinct bytes":     strings.Repeat("abcdefgh", 5),
	"hex pattern":            strings.Repeat("deadbeef", 8),
}

func TestLoadRefusesWeakSecretsInProduction(t *testing.T) {
	for name, key := range weakSecrets {
		t.Run(name, func(t *testing.T) {
			loadFails(t, with(productionEnv(), map[string]string{"SECRET_KEY": key}), "SECRET_KEY")
		})
	}
	for _, cost := range []string{"4", "9"} {
		t.Run("BCRYPT_COST="+cost, func(t *testing.T) {
			loadFails(t, with(productionEnv(), map[string]string{"BCRYPT_COST": cost}), "BCRYPT_COST")
		})
	}
	// Random keys in the usual spellings pass: base64, and hex, which has
	// only 16 symbols to choose from.
	for _, key := range []string{
		strongSecret,
		"3f9a0c2b7d41e85f6a0b9c3d2e1f40718293a4b5c6d7e8f90a1b2c3d4e5f6071", // openssl rand -hex 32
		"8e1c2b9a7f305d46c1e2a3b4f5061728",                                 // openssl rand -hex 16
	} {
		if _, err := config.Load(envOf(with(productionEnv(), map[string]string{"SECRET_KEY": key, "BCRYPT_COST": "10"}))); err != nil {
			t.Errorf("SECRET_KEY %q refused: %v", key, err)
		}
	}
}

func TestLoadWarnsAboutWeakSettingsOutsideProduction(t *testing.T) {
	cfg, err := config.Load(envOf(map[string]string{"SECRET_KEY": weakSecrets["changeme"], "BCRYPT_COST": "4"}))
	if err != nil {
		t.Fatalf("development refused weak settings: %v", err)
	}
	w := cfg.Warnings()
	if len(w) != 2 || !strings.HasPrefix(w[0], "SECRET_KEY:") || !strings.HasPrefix(w[1], "BCRYPT_COST:") {
		t.Errorf("Warnings() = %q, want one for SECRET_KEY and one for BCRYPT_COST", w)
	}
	if strings.Contains(strings.Join(w, " "), weakSecrets["changeme"]) {
		t.Errorf("a warning shows the key: %q", w)
	}
	cfg, err = config.Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("default development settings warn: %q", w)
	}
}

// Production without SMTP_URL starts, with a warning that resets cannot be
// delivered.
func TestLoadWarnsProductionWithoutSMTP(t *testing.T) {
	cfg, err := config.Load(envOf(productionEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "SMTP_URL:") || !strings.Contains(w[0], "cannot be delivered") {
		t.Errorf("Warnings() = %q, want one about SMTP_URL", w)
	}
	cfg, err = config.Load(envOf(with(productionEnv(), map[string]string{"SMTP_URL": "smtp://mail.example.com"})))
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none", w)
	}
}

func TestLoadNormalizesClientOrigins(t *testing.T) {
	cfg, err := config.Load(envOf(map[string]string{
		"CLIENT_URL": "HTTPS://App.Example.COM/, http://LOCALHOST:5173, https://x.example.com:443, http://[::1]:80, http://10.0.0.1:8080/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://app.example.com", "http://localhost:5173", "https://x.example.com", "http://[::1]", "http://10.0.0.1:8080"}
	if !slices.Equal(cfg.ClientURLs, want) {
		t.Errorf("ClientURLs = %q, want %q", cfg.ClientURLs, want)
	}
	if cfg.ResetPasswordURL != "https://app.example.com/reset-password/{token}" {
		t.Errorf("ResetPasswordURL = %q", cfg.ResetPasswordURL)
	}
}

func TestLoadMetricsAddr(t *testing.T) {
	cfg, err := config.Load(envOf(map[string]string{"METRICS_ADDR": "127.0.0.1:9090"}))
	if err != nil || cfg.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("METRICS_ADDR: %v, %+v", err, cfg)
	}
}
