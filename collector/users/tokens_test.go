package users

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	f := &File{}
	secret, err := f.AddToken("basra-script", "IQ-BA", now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) < len(TokenPrefix)+40 {
		t.Fatalf("secret %q: want gp_ and at least 40 random characters", secret)
	}
	other, err := f.AddToken("national", "", now)
	if err != nil {
		t.Fatal(err)
	}
	if other == secret {
		t.Fatal("two tokens share a secret")
	}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, other, strings.TrimPrefix(secret, TokenPrefix), strings.TrimPrefix(other, TokenPrefix)} {
		if strings.Contains(string(data), s) {
			t.Errorf("the saved file holds a token's secret:\n%s", data)
		}
	}
	if !strings.Contains(string(data), sum(secret)) {
		t.Errorf("the saved file lacks the token's sha256 %s:\n%s", sum(secret), data)
	}

	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		desc, secret, want string
	}{
		{"governorate token", secret, "basra-script"},
		{"national token", other, "national"},
		{"unknown token", TokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""},
		{"without its prefix", strings.TrimPrefix(secret, TokenPrefix), ""},
		{"one character changed", secret[:len(secret)-1] + flip(secret[len(secret)-1]), ""},
		{"its sha256", sum(secret), ""},
		{"empty", "", ""},
	} {
		got, ok := loaded.MatchToken(tt.secret)
		if ok != (tt.want != "") || got.Name != tt.want {
			t.Errorf("%s: MatchToken = %+v, %v; want %q", tt.desc, got, ok, tt.want)
		}
	}
	if got, _ := loaded.MatchToken(secret); got.Scope != "IQ-BA" {
		t.Errorf("scope = %q, want IQ-BA", got.Scope)
	}
	if got, _ := loaded.MatchToken(other); got.Scope != National {
		t.Errorf("scope = %q, want IQ", got.Scope)
	}

	if _, err := loaded.AddToken("national", "IQ", now); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("AddToken(existing) = %v", err)
	}
	if _, err := loaded.AddToken("bg", "BG-H-001", now); err == nil {
		t.Error("AddToken accepted a facility scope")
	}
	if _, err := loaded.AddToken("bad name", "IQ", now); err == nil {
		t.Error("AddToken accepted a bad name")
	}
	if err := loaded.RemoveToken("basra-script"); err != nil {
		t.Fatal(err)
	}
	if _, ok := loaded.MatchToken(secret); ok {
		t.Error("a removed token still matches")
	}
	if _, ok := loaded.MatchToken(other); !ok {
		t.Error("removing one token removed another")
	}
	if err := loaded.RemoveToken("basra-script"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoveToken twice = %v, want ErrNotFound", err)
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
