package config

import (
	"fmt"
	"strings"
)

// MinSecretDistinct is how many different bytes a SECRET_KEY needs.
const MinSecretDistinct = 16

// minHexSecretDistinct is the same bar for a key written in hex digits
// (`openssl rand -hex 32`), which has only 16 symbols to choose from: a
// random key of 32 hex digits uses fewer than 10 of them about once in
// 10,000 draws, one of 64 digits practically never.
const minHexSecretDistinct = 10

// MinProductionBcryptCost is the lowest BCRYPT_COST production accepts.
const MinProductionBcryptCost = 10

// weakSecretPrefixes start well-known placeholder keys (compared in lower
// case, ignoring '-', '_' and spaces).
var weakSecretPrefixes = []string{
	"changeme", "changethis", "secret", "mysecret", "supersecret", "topsecret", "yoursecret",
	"password", "passw0rd", "default", "example", "replaceme", "placeholder",
	"jwtsecret", "secretkey", "keyboardcat", "qwerty", "letmein", "123456", "abcdef",
}

// secretWeakness says why key is weak, or returns "" when it is not.
func secretWeakness(key []byte) string {
	folded := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(string(key)))
	for _, p := range weakSecretPrefixes {
		if strings.HasPrefix(folded, p) {
			return fmt.Sprintf("a well-known placeholder (%s…)", p)
		}
	}
	var seen [256]bool
	distinct, hex := 0, true
	for _, b := range key {
		if !seen[b] {
			seen[b] = true
			distinct++
		}
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(b)) {
			hex = false
		}
	}
	need := MinSecretDistinct
	if hex {
		need = minHexSecretDistinct
	}
	if distinct < need {
		return fmt.Sprintf("only %d different characters, want at least %d (use e.g. openssl rand -base64 48)", distinct, need)
	}
	return ""
}

// checkStrength refuses, in production, a weak SECRET_KEY or a BCRYPT_COST
// below MinProductionBcryptCost; elsewhere it records the same findings
// as warnings. An empty key (development: generated later) is not judged.
func (c *Config) checkStrength() error {
	var problems []string
	if len(c.SecretKey) > 0 {
		if why := secretWeakness(c.SecretKey); why != "" {
			problems = append(problems, "SECRET_KEY: weak key: "+why)
		}
	}
	if c.BcryptCost < MinProductionBcryptCost {
		problems = append(problems, fmt.Sprintf("BCRYPT_COST: %d is too cheap, want at least %d", c.BcryptCost, MinProductionBcryptCost))
	}
	if c.Production() && len(problems) > 0 {
		return fmt.Errorf("%s (refused in production)", problems[0])
	}
	c.warnings = append(c.warnings, problems...)
	return nil
}
