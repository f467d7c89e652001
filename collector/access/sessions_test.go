package access

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/users"
)

func TestLogout(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	s := f.login("fatima")
	other := f.login("fatima")
	if code, _ := f.whoami("/api/v1/facilities", s.header(false)); code != http.StatusOK {
		t.Fatalf("signed in: %d", code)
	}
	a := f.do(http.MethodPost, "/api/v1/logout", "", s.header(false))
	if a.code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", a.code, a.body)
	}
	if sc := a.header.Get("Set-Cookie"); !strings.Contains(sc, CookieName+"=;") || !strings.Contains(sc, "Max-Age=0") || !strings.Contains(sc, "HttpOnly") {
		t.Errorf("logout Set-Cookie = %q, want the cookie cleared (Max-Age=0)", sc)
	}
	if code, _ := f.whoami("/api/v1/facilities", s.header(false)); code != http.StatusUnauthorized {
		t.Errorf("after logout, the old cookie: %d, want 401", code)
	}
	var ans sessionAnswer
	if err := json.Unmarshal(f.do(http.MethodGet, "/api/v1/session", "", s.header(false)).body, &ans); err != nil || ans.Authenticated {
		t.Errorf("session after logout = %+v, %v", ans, err)
	}
	// The other browser's session stays.
	if code, p := f.whoami("/api/v1/facilities", other.header(false)); code != http.StatusOK || p.Name != "fatima" {
		t.Errorf("another session after logout: %d %+v", code, p)
	}
	// Signing out without a session is fine.
	if a := f.do(http.MethodPost, "/api/v1/logout", "", nil); a.code != http.StatusNoContent {
		t.Errorf("logout without a cookie: %d", a.code)
	}
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	s := f.login("omar")
	f.clock.add(12*time.Hour - time.Second)
	if code, _ := f.whoami("/api/v1/facilities", s.header(false)); code != http.StatusOK {
		t.Fatalf("before expiry: %d", code)
	}
	f.clock.add(time.Second)
	if code, _ := f.whoami("/api/v1/facilities", s.header(false)); code != http.StatusUnauthorized {
		t.Errorf("after 12 h: %d, want 401", code)
	}
}

func TestPasswdEndsSessions(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	amal, omar := f.login("amal"), f.login("omar")
	f.editUsers(func(file *users.File) error {
		return file.SetPassword("amal", "a new planner password", time.Now())
	})
	// Within the second the file is not looked at again.
	if code, _ := f.whoami("/api/v1/facilities", amal.header(false)); code != http.StatusOK {
		t.Errorf("within the second: %d, want 200", code)
	}
	f.eventually("the session of a changed password ends", func() bool {
		code, _ := f.whoami("/api/v1/facilities", amal.header(false))
		return code == http.StatusUnauthorized
	})
	if code, p := f.whoami("/api/v1/facilities", omar.header(false)); code != http.StatusOK || p.Name != "omar" {
		t.Errorf("another user's session: %d %+v", code, p)
	}
	f.expectLogin("amal", passwords["amal"], http.StatusUnauthorized)
	f.expectLogin("amal", "a new planner password", http.StatusOK)
}

func TestRemoveEndsSessions(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	fatima, root := f.login("fatima"), f.login("root")
	f.editUsers(func(file *users.File) error { return file.RemoveUser("fatima") })
	f.eventually("the session of a removed user ends", func() bool {
		code, _ := f.whoami("/api/v1/alerts", fatima.header(false))
		return code == http.StatusUnauthorized
	})
	if code, _ := f.whoami("/api/v1/alerts", root.header(false)); code != http.StatusOK {
		t.Errorf("another user's session: %d", code)
	}
	f.expectLogin("fatima", passwords["fatima"], http.StatusUnauthorized)
	if n := f.g.sessions.count(); n != 1 {
		t.Errorf("%d sessions kept, want root's only", n)
	}
}

func TestUsersFileReread(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	root := f.login("root")
	f.editUsers(func(file *users.File) error {
		return file.AddUser("zaid", users.Officer, "IQ-BA", "an officer password", time.Now())
	})
	f.eventually("a new user signs in", func() bool {
		return f.tryLogin("zaid", "an officer password").code == http.StatusOK
	})

	// A file that no longer loads keeps the users read before.
	for _, broken := range []struct {
		desc string
		do   func() error
	}{
		{"not JSON", func() error { return os.WriteFile(f.path, []byte("{broken"), 0o600) }},
		{"readable by others", func() error {
			base, _ := baseUsers()
			if err := os.WriteFile(f.path, base.data, 0o600); err != nil {
				return err
			}
			return os.Chmod(f.path, 0o644)
		}},
	} {
		if err := broken.do(); err != nil {
			t.Fatal(err)
		}
		f.clock.add(2 * time.Second)
		if code, p := f.whoami("/api/v1/facilities", root.header(false)); code != http.StatusOK || p.Name != "root" {
			t.Errorf("%s: %d %+v, want root still signed in", broken.desc, code, p)
		}
		f.clock.add(2 * time.Second)
		f.expectLogin("zaid", "an officer password", http.StatusOK)
	}
}
