package access

import (
	"strings"
	"testing"
)

// FuzzParseLogin feeds arbitrary sign-in bodies to the parser: it never
// panics, and what it accepts has a user name without surrounding spaces
// and a password.
func FuzzParseLogin(f *testing.F) {
	for _, seed := range []string{`{"user":"amal","password":"right"}`, `{"user":" amal ","password":"x"}`, `{}`, `[`,
		`{"user":"amal","password":"a","x":1}`, ``, `{"user":"","password":"p"}`, `{"user":"a","password":""}`, `{"user":1}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := parseLogin(strings.NewReader(body))
		if err != nil {
			if req != (loginRequest{}) {
				t.Fatalf("an error with a request: %+v", req)
			}
			return
		}
		if req.User == "" || req.Password == "" || strings.TrimSpace(req.User) != req.User {
			t.Fatalf("accepted %q as %+v", body, req)
		}
	})
}
