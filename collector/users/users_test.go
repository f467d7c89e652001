package users

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var now = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// cheapHash is a well-formed bcrypt hash at the lowest cost, for files
// whose passwords no test checks.
var cheapHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// sum is the sha256 of s as the users file keeps it.
func sum(s string) string {
	b := sha256.Sum256([]byte(s))
	return hex.EncodeToString(b[:])
}

func TestNormalScope(t *testing.T) {
	tests := []struct {
		role    Role
		scope   string
		want    string
		wantErr string
	}{
		{Planner, "", "IQ", ""},
		{Planner, "IQ", "IQ", ""},
		{Planner, "IQ-BG", "", "national"},
		{Planner, "BG-H-001", "", "national"},
		{Admin, "", "IQ", ""},
		{Admin, "IQ", "IQ", ""},
		{Admin, "IQ-BA", "", "national"},
		{Admin, "iq", "", "national"},
		{Officer, "IQ-BG", "IQ-BG", ""},
		{Officer, "IQ-DQA", "IQ-DQA", ""},
		{Officer, "", "", "governorate"},
		{Officer, "IQ", "", "governorate"},
		{Officer, "iq-bg", "", "governorate"},
		{Officer, "IQ-B", "", "governorate"},
		{Officer, "IQ-BGXX", "", "governorate"},
		{Officer, "BG-H-001", "", "governorate"},
		{Officer, "IQ-BG ", "", "governorate"},
		{Officer, "IQ-BG\n", "", "governorate"},
		{Facility, "BG-H-001", "BG-H-001", ""},
		{Facility, "bg_h_1", "bg_h_1", ""},
		{Facility, "", "", "facility id"},
		{Facility, "IQ", "", "facility id"},
		{Facility, "IQ-BG", "", "facility id"},
		{Facility, "-BG-H-001", "", "facility id"},
		{Facility, "BG H 001", "", "facility id"},
		{Facility, "BG-H-001\n", "", "facility id"},
		{Facility, strings.Repeat("A", 65), "", "facility id"},
		{Facility, strings.Repeat("A", 64), strings.Repeat("A", 64), ""},
		{"token", "IQ", "", "want one of"},
		{"public", "", "", "want one of"},
		{"open", "IQ", "", "want one of"},
		{"", "", "", "want one of"},
		{"Planner", "IQ", "", "want one of"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%q", tt.role, tt.scope), func(t *testing.T) {
			got, err := NormalScope(tt.role, tt.scope)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("NormalScope(%q, %q) = %q, want %q", tt.role, tt.scope, got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.scope)) && !strings.Contains(err.Error(), string(tt.role)) {
				t.Errorf("error %q names neither the scope nor the role", err)
			}
		})
	}
}

func TestTokenScope(t *testing.T) {
	tests := []struct {
		scope   string
		want    string
		wantErr bool
	}{
		{"", "IQ", false},
		{"IQ", "IQ", false},
		{"IQ-BA", "IQ-BA", false},
		{"IQ-DQA", "IQ-DQA", false},
		{"iq", "", true},
		{"IQ-ba", "", true},
		{"BA-H-001", "", true},
		{"IQ-", "", true},
		{"IQ-BAXX", "", true},
		{" IQ-BA", "", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.scope), func(t *testing.T) {
			got, err := TokenScope(tt.scope)
			if (err != nil) != tt.wantErr {
				t.Fatalf("TokenScope(%q) error = %v, want error %v", tt.scope, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.scope)) {
				t.Errorf("error %q does not name the scope", err)
			}
			if got != tt.want {
				t.Errorf("TokenScope(%q) = %q, want %q", tt.scope, got, tt.want)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"amal", true},
		{"a", true},
		{"amal.hassan@moh.gov.iq", true},
		{"dhis2_push-1", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{".amal", false},
		{"-amal", false},
		{"amal hassan", false},
		{"amal\n", false},
		{"أمل", false},
		{"amal/../root", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			err := CheckName(tt.name)
			if (err == nil) != tt.ok {
				t.Errorf("CheckName(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, password string
		wantErr        string
	}{
		{"amal", "correct horse", ""},
		{"amal", "0123456789", ""},
		{"amal", "012345678", "at least 10"},
		{"amal", "", "at least 10"},
		// Ten runes, twenty bytes: the length is counted in characters.
		{"amal", "كلمةالمرورا", ""},
		{"amal", "كلمةمرور", "at least 10"},
		{"amal", strings.Repeat("x", 72), ""},
		{"amal", strings.Repeat("x", 73), "at most 72 bytes"},
		{"amal.hassan", "amal.hassan", "user name"},
		{"amal.hassan", "AMAL.HASSAN", "user name"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.name, len(tt.password)), func(t *testing.T) {
			checkErr(t, CheckPassword(tt.name, tt.password), tt.wantErr)
		})
	}
}

func TestUserLifecycle(t *testing.T) {
	f := &File{}
	if err := f.AddUser("amal", Planner, "", "first password", now); err != nil {
		t.Fatal(err)
	}
	u, ok := f.User("amal")
	if !ok || u.Role != Planner || u.Scope != National || !u.Changed.Equal(now) {
		t.Fatalf("User(amal) = %+v, %v", u, ok)
	}
	if strings.Contains(u.Hash, "first password") {
		t.Fatal("the hash holds the password")
	}
	if c, err := bcrypt.Cost([]byte(u.Hash)); err != nil || c != Cost {
		t.Errorf("bcrypt cost = %d, %v; want %d", c, err, Cost)
	}

	for _, tt := range []struct {
		desc           string
		name, password string
		ok             bool
	}{
		{"right password", "amal", "first password", true},
		{"wrong password", "amal", "first passwore", false},
		{"empty password", "amal", "", false},
		{"name in other case", "Amal", "first password", false},
		{"unknown user", "omar", "first password", false},
	} {
		got, ok := f.Verify(tt.name, tt.password)
		if ok != tt.ok || (ok && got.Name != "amal") || (!ok && got != (User{})) {
			t.Errorf("%s: Verify(%q) = %+v, %v; want ok %v", tt.desc, tt.name, got, ok, tt.ok)
		}
	}

	for _, tt := range []struct {
		desc                  string
		name                  string
		role                  Role
		scope, password, want string
	}{
		{"existing name", "amal", Officer, "IQ-BG", "another password", "exists already"},
		{"bad name", "amal hassan", Planner, "", "another password", "name"},
		{"bad scope", "omar", Officer, "IQ", "another password", "governorate"},
		{"bad role", "omar", "token", "IQ", "another password", "role"},
		{"weak password", "omar", Officer, "IQ-BG", "short", "at least 10"},
	} {
		if err := f.AddUser(tt.name, tt.role, tt.scope, tt.password, now); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: AddUser = %v, want an error about %q", tt.desc, err, tt.want)
		}
	}
	if len(f.Users) != 1 {
		t.Fatalf("refused AddUsers left %d users", len(f.Users))
	}

	later := now.Add(time.Hour)
	if err := f.SetPassword("amal", "second password", later); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Verify("amal", "first password"); ok {
		t.Error("the old password still signs in")
	}
	if u, ok := f.Verify("amal", "second password"); !ok || !u.Changed.Equal(later) {
		t.Errorf("new password: %+v, %v", u, ok)
	}
	if err := f.SetPassword("amal", "amal", later); err == nil {
		t.Error("SetPassword accepted the user name as password")
	}
	if err := f.SetPassword("omar", "second password", later); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPassword(unknown) = %v, want ErrNotFound", err)
	}

	if err := f.RemoveUser("amal"); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Verify("amal", "second password"); ok {
		t.Error("a removed user signs in")
	}
	if err := f.RemoveUser("amal"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoveUser twice = %v, want ErrNotFound", err)
	}
}

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

func TestLoadMissing(t *testing.T) {
	f, err := Load(filepath.Join(t.TempDir(), "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Users) != 0 || len(f.Tokens) != 0 {
		t.Errorf("missing file = %+v, want empty", f)
	}
}

func TestLoadRefusesReadableFile(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o666} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "users.json")
			if err := os.WriteFile(path, []byte(`{"users":[],"tokens":[]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), path) {
				t.Errorf("Load(%04o) = %v, want an error naming the file and chmod 600", mode, err)
			}
		})
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		path := filepath.Join(t.TempDir(), "users.json")
		if err := os.WriteFile(path, []byte(`{"users":[],"tokens":[]}`), mode); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err != nil {
			t.Errorf("Load(%04o) = %v", mode, err)
		}
	}
}

func TestLoadRejectsBadEntries(t *testing.T) {
	h := cheapHash()
	user := func(name, role, scope, hash string) string {
		return fmt.Sprintf(`{"name":%q,"role":%q,"scope":%q,"bcrypt":%q,"changed":"2026-12-01T08:00:00Z"}`, name, role, scope, hash)
	}
	token := func(name, scope, sha string) string {
		return fmt.Sprintf(`{"name":%q,"scope":%q,"sha256":%q,"created":"2026-12-01T08:00:00Z"}`, name, scope, sha)
	}
	file := func(us, ts []string) string {
		return `{"users":[` + strings.Join(us, ",") + `],"tokens":[` + strings.Join(ts, ",") + `]}`
	}
	good := user("amal", "planner", "IQ", h)
	goodToken := token("basra", "IQ-BA", sum("gp_x"))
	tests := []struct {
		desc    string
		content string
		want    []string // every one must be in the error; none means it loads
	}{
		{"good", file([]string{good, user("omar", "officer", "IQ-BG", h), user("fatima", "facility", "BG-H-001", h)}, []string{goodToken}), nil},
		{"empty object", `{}`, nil},
		{"empty file", ``, []string{"not a users file"}},
		{"not JSON", `users: [amal]`, []string{"not a users file"}},
		{"truncated", file([]string{good}, nil)[:40], []string{"not a users file"}},
		{"unknown field", `{"users":[],"tokens":[],"admins":[]}`, []string{"not a users file", "admins"}},
		{"unknown user field", file([]string{strings.Replace(good, `"name"`, `"password":"x","name"`, 1)}, nil), []string{"password"}},
		{"users not a list", `{"users":{"amal":{}}}`, []string{"not a users file"}},
		{"duplicate user", file([]string{good, user("omar", "officer", "IQ-BG", h), good}, nil), []string{"users[2]", `"amal"`, "twice"}},
		{"bad user name", file([]string{good, user("omar hassan", "officer", "IQ-BG", h)}, nil), []string{"users[1]", `"omar hassan"`}},
		{"empty user name", file([]string{user("", "planner", "IQ", h)}, nil), []string{"users[0]", `""`}},
		{"unknown role", file([]string{good, user("omar", "superuser", "IQ", h)}, nil), []string{"users[1]", `"omar"`, `"superuser"`}},
		{"token role", file([]string{user("omar", "token", "IQ", h)}, nil), []string{"users[0]", `"omar"`, `"token"`}},
		{"officer national", file([]string{user("omar", "officer", "IQ", h)}, nil), []string{"users[0]", `"omar"`, `"IQ"`}},
		{"planner of a governorate", file([]string{user("amal", "planner", "IQ-BG", h)}, nil), []string{"users[0]", `"amal"`, `"IQ-BG"`}},
		// The commands write IQ for a planner; an empty scope is not theirs.
		{"planner without scope", file([]string{user("amal", "planner", "", h)}, nil), []string{"users[0]", `"amal"`}},
		{"facility with a governorate", file([]string{user("fatima", "facility", "IQ-BG", h)}, nil), []string{"users[0]", `"fatima"`}},
		{"no hash", file([]string{user("amal", "planner", "IQ", "")}, nil), []string{"users[0]", `"amal"`, "bcrypt"}},
		{"plain password as hash", file([]string{user("amal", "planner", "IQ", "correct horse battery")}, nil), []string{"users[0]", `"amal"`, "bcrypt"}},
		{"sha256 as hash", file([]string{user("amal", "planner", "IQ", sum("x"))}, nil), []string{"users[0]", `"amal"`, "bcrypt"}},
		{"truncated hash", file([]string{user("amal", "planner", "IQ", h[:30])}, nil), []string{"users[0]", `"amal"`, "bcrypt"}},
		// bcrypt.Cost reads only the prefix; these match no password.
		{"hash of version 0", file([]string{user("amal", "planner", "IQ", "$0000700000000000000000000000000000000000000000000000000000")}, nil), []string{"users[0]", `"amal"`, "bcrypt"}},
		{"hash with a space", file([]string{user("amal", "planner", "IQ", h[:40]+" "+h[41:])}, nil), []string{"users[0]", `"amal"`, "bcrypt"}},
		{"hash too long", file([]string{user("amal", "planner", "IQ", h+"x")}, nil), []string{"users[0]", `"amal"`, "bcrypt"}},
		{"hash of another cost", file([]string{user("amal", "planner", "IQ", strings.Replace(h, "$04$", "$12$", 1))}, nil), nil},
		{"bad time", strings.Replace(file([]string{good}, nil), "2026-12-01T08:00:00Z", "yesterday", 1), []string{"not a users file"}},
		{"duplicate token", file(nil, []string{goodToken, token("basra", "IQ", sum("gp_y"))}), []string{"tokens[1]", `"basra"`, "twice"}},
		{"user and token of one name", file([]string{good}, []string{token("amal", "IQ", sum("gp_y"))}), nil},
		{"bad token name", file(nil, []string{goodToken, token("basra script", "IQ", sum("gp_y"))}), []string{"tokens[1]", `"basra script"`}},
		{"token of a facility", file(nil, []string{token("bg", "BG-H-001", sum("gp_y"))}), []string{"tokens[0]", `"bg"`, `"BG-H-001"`}},
		{"token without scope", file(nil, []string{token("bg", "", sum("gp_y"))}), []string{"tokens[0]", `"bg"`}},
		{"token sha256 short", file(nil, []string{token("bg", "IQ", sum("gp_y")[:62])}), []string{"tokens[0]", `"bg"`, "hex digits"}},
		{"token sha256 not hex", file(nil, []string{token("bg", "IQ", strings.Repeat("g", 64))}), []string{"tokens[0]", `"bg"`, "hex digits"}},
		{"token secret instead of sum", file(nil, []string{token("bg", "IQ", "gp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678")}), []string{"tokens[0]", `"bg"`}},
		// MatchToken compares lower-case hex: an upper-case sum would be a
		// token that silently never matches.
		{"token sha256 upper case", file(nil, []string{token("bg", "IQ", strings.ToUpper(sum("gp_y")))}), []string{"tokens[0]", `"bg"`, "hex digits"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "users.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Load = %v, want it to load", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted %s", tt.content)
			}
			for _, w := range append(tt.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestSaveAndLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	// An existing file others may read is replaced by one they may not.
	if err := os.WriteFile(path, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f := &File{Users: []User{
		{Name: "amal", Role: Planner, Scope: National, Hash: cheapHash(), Changed: now},
		{Name: "omar", Role: Officer, Scope: "IQ-BG", Hash: cheapHash(), Changed: now},
		{Name: "fatima", Role: Facility, Scope: "BG-H-001", Hash: cheapHash(), Changed: now},
	}}
	if _, err := f.AddToken("basra", "IQ-BA", now); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("saved with mode %04o, want 0600", perm)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(f)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("Load(Save(f)) differs:\n%s\n%s", a, b)
	}
	if err := f.Save(filepath.Join(t.TempDir(), "no", "such", "folder", "users.json")); err == nil || !strings.Contains(err.Error(), "users file") {
		t.Errorf("Save into a missing folder = %v", err)
	}
}

func TestAdd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	if err := Add(path, "root", Admin, "", "an admin password"); err != nil {
		t.Fatal(err)
	}
	if err := Add(path, "omar", Officer, "IQ-BG", "an officer password"); err != nil {
		t.Fatal(err)
	}
	if err := Add(path, "omar", Officer, "IQ-BG", "an officer password"); err == nil {
		t.Error("Add accepted a user twice")
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := f.Verify("omar", "an officer password"); !ok || u.Scope != "IQ-BG" {
		t.Errorf("Verify(omar) = %+v, %v", u, ok)
	}
	if u, ok := f.Verify("root", "an admin password"); !ok || u.Scope != National {
		t.Errorf("Verify(root) = %+v, %v", u, ok)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Add(path, "amal", Planner, "", "a planner password"); err == nil || !strings.Contains(err.Error(), "chmod") {
		t.Errorf("Add to a readable file = %v, want the chmod error", err)
	}
}

func TestDummyHash(t *testing.T) {
	// A wrong name must cost as much as a wrong password.
	c, err := bcrypt.Cost([]byte(dummyHash))
	if err != nil || c != Cost {
		t.Errorf("dummyHash cost = %d, %v; want %d", c, err, Cost)
	}
}

var (
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	bcryptPattern = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)
)

// FuzzDecode feeds arbitrary content to the users file's parser: it must
// never panic, and whatever it accepts must hold only entries the
// commands could have written, and must save and load again unchanged.
func FuzzDecode(f *testing.F) {
	h := cheapHash()
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"users":null,"tokens":null}`))
	f.Add([]byte(`{"users":[{"name":"amal","role":"planner","scope":"IQ","bcrypt":"` + h + `","changed":"2026-12-01T08:00:00Z"}],"tokens":[]}`))
	f.Add([]byte(`{"users":[{"name":"omar","role":"officer","scope":"IQ-BG","bcrypt":"` + h + `","changed":"2026-12-01T08:00:00+03:00"},` +
		`{"name":"fatima","role":"facility","scope":"BG-H-001","bcrypt":"` + h + `","changed":"0001-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"tokens":[{"name":"basra","scope":"IQ-BA","sha256":"` + sum("gp_x") + `","created":"2026-12-01T08:00:00Z"}]}`))
	f.Add([]byte(`{"users":[{"name":"amal","role":"planner","scope":"IQ","bcrypt":"` + h + `"},{"name":"amal","role":"admin","scope":"IQ","bcrypt":"` + h + `"}]}`))
	f.Add([]byte(`{"users":[{"name":"amal","role":"officer","scope":"IQ","bcrypt":"x"}]} trailing`))
	f.Add([]byte(`{"USERS":[{"NAME":"amal","Role":"admin","Scope":"IQ","BCRYPT":"` + h + `"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := &File{}
		if err := file.decode(data); err != nil {
			return
		}
		seen := map[string]bool{}
		for i, u := range file.Users {
			if err := CheckName(u.Name); err != nil {
				t.Fatalf("accepted users[%d] with a bad name: %v", i, err)
			}
			if seen["u:"+u.Name] {
				t.Fatalf("accepted user %q twice", u.Name)
			}
			seen["u:"+u.Name] = true
			scope, err := NormalScope(u.Role, u.Scope)
			if err != nil || scope != u.Scope {
				t.Fatalf("accepted users[%d] role %q scope %q: %q, %v", i, u.Role, u.Scope, scope, err)
			}
			if _, err := bcrypt.Cost([]byte(u.Hash)); err != nil || !bcryptPattern.MatchString(u.Hash) {
				t.Fatalf("accepted users[%d] hash %q: %v", i, u.Hash, err)
			}
		}
		for i, tk := range file.Tokens {
			if err := CheckName(tk.Name); err != nil {
				t.Fatalf("accepted tokens[%d] with a bad name: %v", i, err)
			}
			if seen["t:"+tk.Name] {
				t.Fatalf("accepted token %q twice", tk.Name)
			}
			seen["t:"+tk.Name] = true
			if scope, err := TokenScope(tk.Scope); err != nil || scope != tk.Scope {
				t.Fatalf("accepted tokens[%d] scope %q: %q, %v", i, tk.Scope, scope, err)
			}
			if !sha256Pattern.MatchString(tk.SHA256) {
				t.Fatalf("accepted tokens[%d] sha256 %q, which no token's sum matches", i, tk.SHA256)
			}
		}
		// What was accepted saves and loads again to the same content.
		out, err := json.MarshalIndent(file, "", "  ")
		if err != nil {
			t.Fatalf("accepted content does not encode: %v", err)
		}
		again := &File{}
		if err := again.decode(out); err != nil {
			t.Fatalf("saved content does not load: %v\n%s", err, out)
		}
		out2, _ := json.MarshalIndent(again, "", "  ")
		if string(out) != string(out2) {
			t.Fatalf("a second round trip differs:\n%s\n%s", out, out2)
		}
	})
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one about %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want one about %q", err, want)
	}
}
