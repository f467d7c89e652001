package users

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

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
