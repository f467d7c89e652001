package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/users"
)

// The passwords of the tests; none may ever be printed.
const (
	plannerPassword  = "planner password 1"
	officerPassword  = "officer password 1"
	facilityPassword = "facility password 1"
	adminPassword    = "admin password 12"
	newPassword      = "a brand new password"
)

var allPasswords = []string{plannerPassword, officerPassword, facilityPassword, adminPassword, newPassword}

// env is a temp folder holding a copy of configs/collector.yaml whose
// registry is the repository's and whose users file is in the folder.
type env struct {
	dir, config, usersFile string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	registry, err := filepath.Abs(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "configs", "collector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &env{dir: dir, config: filepath.Join(dir, "collector.yaml"), usersFile: filepath.Join(dir, "users.json")}
	text := replaceLine(t, string(data), "registry: facilities.csv", "registry: "+registry)
	text = replaceLine(t, text, "  users_file: users.json", "  users_file: "+e.usersFile)
	if err := os.WriteFile(e.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// replaceLine replaces the one line of text that is old.
func replaceLine(t *testing.T, text, old, repl string) string {
	t.Helper()
	if n := strings.Count("\n"+text+"\n", "\n"+old+"\n"); n != 1 {
		t.Fatalf("configs/collector.yaml has %d lines %q, want 1", n, old)
	}
	return strings.Replace("\n"+text, "\n"+old+"\n", "\n"+repl+"\n", 1)[1:]
}

// result is what one run of the command gave.
type result struct {
	stdout, stderr string
	err            error
}

// run runs greenpulse-collector with args, adding --config after the
// subcommand, or after the NAME when the NAME comes first, so that the
// NAME stays where the case put it.
func (e *env) run(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	at := min(2, len(args))
	if len(args) > 2 && !strings.HasPrefix(args[2], "-") {
		at = 3
	}
	full := append(append(append([]string{}, args[:at]...), "--config", e.config), args[at:]...)
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	err := run(full, stdin, &stdout, &stderr)
	r := result{stdout: stdout.String(), stderr: stderr.String(), err: err}
	noSecret(t, r, allPasswords...)
	return r
}

// must is run that fails the test on an error.
func (e *env) must(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	r := e.run(t, stdin, args...)
	if r.err != nil {
		t.Fatalf("%s: %v\nstderr: %s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r
}

// noSecret fails if a secret is in the output or the error, which main
// prints.
func noSecret(t *testing.T, r result, secrets ...string) {
	t.Helper()
	errText := ""
	if r.err != nil {
		errText = r.err.Error()
	}
	for _, s := range secrets {
		for what, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "the error": errText} {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q: %s", what, s, text)
			}
		}
	}
}

func wantErr(t *testing.T, r result, want string) {
	t.Helper()
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("error %v, want one with %q (stdout %q)", r.err, want, r.stdout)
	}
}

func password(pw string) io.Reader { return strings.NewReader(pw + "\n") }

// load loads the users file, checking that only its owner may read it.
func (e *env) load(t *testing.T) *users.File {
	t.Helper()
	info, err := os.Stat(e.usersFile)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("users file mode %04o, want 0600", perm)
	}
	f, err := users.Load(e.usersFile)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// content is the users file's bytes, nil when there is none.
func (e *env) content(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(e.usersFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return data
}

// seed adds omar, an officer of IQ-BG, with the command.
func (e *env) seed(t *testing.T) {
	t.Helper()
	e.must(t, password(officerPassword), "user", "add", "omar", "--role", "officer", "--scope", "IQ-BG", "--password-stdin")
}

func TestUserAdd(t *testing.T) {
	tests := []struct {
		desc     string
		existing bool // omar is in the users file already
		args     []string
		stdin    string
		wantErr  string
		// on success: the user added
		name, role, scope, pw string
	}{
		{desc: "planner", args: []string{"amal", "--role", "planner", "--password-stdin"}, stdin: plannerPassword,
			name: "amal", role: "planner", scope: "IQ", pw: plannerPassword},
		{desc: "officer of IQ-BG", args: []string{"omar", "--role", "officer", "--scope", "IQ-BG", "--password-stdin"}, stdin: officerPassword,
			name: "omar", role: "officer", scope: "IQ-BG", pw: officerPassword},
		{desc: "facility BG-H-001", args: []string{"fatima", "--role", "facility", "--scope", "BG-H-001", "--password-stdin"}, stdin: facilityPassword,
			name: "fatima", role: "facility", scope: "BG-H-001", pw: facilityPassword},
		{desc: "admin", args: []string{"root", "--role", "admin", "--password-stdin"}, stdin: adminPassword,
			name: "root", role: "admin", scope: "IQ", pw: adminPassword},
		{desc: "NAME after the flags", args: []string{"--role", "officer", "--scope", "IQ-BG", "--password-stdin", "omar"}, stdin: officerPassword,
			name: "omar", role: "officer", scope: "IQ-BG", pw: officerPassword},
		{desc: "NAME between flags", args: []string{"--role", "officer", "--password-stdin", "omar", "--scope", "IQ-BG"}, stdin: officerPassword,
			name: "omar", role: "officer", scope: "IQ-BG", pw: officerPassword},
		{desc: "two names", args: []string{"omar", "--role", "planner", "--password-stdin", "amal"}, stdin: plannerPassword,
			wantErr: `unexpected "amal"`},
		{desc: "password too short", args: []string{"amal", "--role", "planner", "--password-stdin"}, stdin: "short",
			wantErr: "at least 10 characters"},
		{desc: "unknown role", args: []string{"amal", "--role", "superuser", "--password-stdin"}, stdin: plannerPassword,
			wantErr: `"superuser"`},
		{desc: "officer without scope", args: []string{"omar", "--role", "officer", "--password-stdin"}, stdin: officerPassword,
			wantErr: "governorate"},
		{desc: "governorate not in the registry", args: []string{"omar", "--role", "officer", "--scope", "IQ-XX", "--password-stdin"}, stdin: officerPassword,
			wantErr: `"IQ-XX"`},
		{desc: "facility not in the registry", args: []string{"fatima", "--role", "facility", "--scope", "BG-H-999", "--password-stdin"}, stdin: facilityPassword,
			wantErr: `"BG-H-999"`},
		{desc: "duplicate user", existing: true, args: []string{"omar", "--role", "officer", "--scope", "IQ-BG", "--password-stdin"}, stdin: newPassword,
			wantErr: `user "omar" exists already`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := newEnv(t)
			if tt.existing {
				e.seed(t)
			}
			before := e.content(t)
			r := e.run(t, password(tt.stdin), append([]string{"user", "add"}, tt.args...)...)
			noSecret(t, r, tt.stdin)
			if tt.wantErr != "" {
				wantErr(t, r, tt.wantErr)
				if after := e.content(t); !bytes.Equal(before, after) {
					t.Errorf("a refused add changed the users file:\n%s\n%s", before, after)
				}
				return
			}
			if r.err != nil || !strings.Contains(r.stdout, "user "+tt.name+" added") {
				t.Fatalf("%v, stdout %q\nstderr: %s", r.err, r.stdout, r.stderr)
			}
			u, ok := e.load(t).Verify(tt.name, tt.pw)
			if !ok || string(u.Role) != tt.role || u.Scope != tt.scope {
				t.Errorf("Verify(%s) = %+v, %v; want role %s scope %s", tt.name, u, ok, tt.role, tt.scope)
			}
		})
	}
}

func TestUserPasswd(t *testing.T) {
	tests := []struct {
		desc    string
		name    string
		stdin   string
		wantErr string
	}{
		{"new password", "omar", newPassword, ""},
		{"NAME after the flags", "", newPassword, ""},
		{"password too short", "omar", "short", "at least 10 characters"},
		{"unknown user", "zaid", newPassword, `"zaid"`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := newEnv(t)
			e.seed(t)
			old, _ := e.load(t).User("omar")
			args := []string{"user", "passwd", tt.name, "--password-stdin"}
			if tt.name == "" {
				args = []string{"user", "passwd", "--password-stdin", "omar"}
			}
			r := e.run(t, password(tt.stdin), args...)
			noSecret(t, r, tt.stdin)
			f := e.load(t)
			now, _ := f.User("omar")
			if tt.wantErr != "" {
				wantErr(t, r, tt.wantErr)
				if now.Hash != old.Hash {
					t.Error("a refused passwd changed omar's hash")
				}
				return
			}
			if r.err != nil {
				t.Fatalf("%v\nstderr: %s", r.err, r.stderr)
			}
			if now.Hash == old.Hash {
				t.Error("passwd left the hash as it was")
			}
			if _, ok := f.Verify("omar", newPassword); !ok {
				t.Error("the new password is refused")
			}
			if _, ok := f.Verify("omar", officerPassword); ok {
				t.Error("the old password still passes")
			}
		})
	}
}

func TestUserRemove(t *testing.T) {
	tests := []struct {
		desc    string
		name    string
		wantErr string
	}{
		{"known user", "omar", ""},
		{"unknown user", "zaid", `"zaid"`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := newEnv(t)
			e.seed(t)
			e.must(t, password(plannerPassword), "user", "add", "amal", "--role", "planner", "--password-stdin")
			r := e.run(t, nil, "user", "remove", tt.name)
			f := e.load(t)
			if _, ok := f.User("amal"); !ok {
				t.Error("amal is gone too")
			}
			if tt.wantErr != "" {
				wantErr(t, r, tt.wantErr)
				if _, ok := f.User("omar"); !ok {
					t.Error("a failed remove removed omar")
				}
				return
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if _, ok := f.User(tt.name); ok {
				t.Errorf("%s is still in the users file", tt.name)
			}
		})
	}
}

func TestUserList(t *testing.T) {
	e := newEnv(t)
	for _, add := range [][]string{
		{"amal", "--role", "planner", "--password-stdin"},
		{"omar", "--role", "officer", "--scope", "IQ-BG", "--password-stdin"},
		{"fatima", "--role", "facility", "--scope", "BG-H-001", "--password-stdin"},
		{"root", "--role", "admin", "--password-stdin"},
	} {
		e.must(t, password(map[string]string{"amal": plannerPassword, "omar": officerPassword, "fatima": facilityPassword, "root": adminPassword}[add[0]]),
			append([]string{"user", "add"}, add...)...)
	}
	r := e.must(t, nil, "user", "list")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	want := [][]string{{"NAME", "ROLE", "SCOPE", "PASSWORD"}, {"amal", "planner", "IQ"}, {"omar", "officer", "IQ-BG"}, {"fatima", "facility", "BG-H-001"}, {"root", "admin", "IQ"}}
	if len(lines) != len(want) {
		t.Fatalf("list:\n%s\nwant %d lines", r.stdout, len(want))
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); len(got) < len(w) || strings.Join(got[:len(w)], " ") != strings.Join(w, " ") {
			t.Errorf("line %d %q, want it to start with %q", i, lines[i], w)
		}
	}
	if strings.Contains(r.stdout, "$2a$") {
		t.Errorf("list shows a bcrypt hash:\n%s", r.stdout)
	}
}

func TestPasswordWithoutStdinFlag(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	for _, stdin := range []struct {
		desc string
		r    io.Reader
	}{
		{"a pipe", password(plannerPassword)},
		{"a file that is no terminal", devNull},
	} {
		for _, args := range [][]string{
			{"user", "add", "amal", "--role", "planner"},
			{"user", "passwd", "omar"},
		} {
			t.Run(stdin.desc+" "+args[1], func(t *testing.T) {
				e := newEnv(t)
				e.seed(t)
				before := e.content(t)
				r := e.run(t, stdin.r, args...)
				wantErr(t, r, "--password-stdin")
				if after := e.content(t); !bytes.Equal(before, after) {
					t.Error("the users file changed")
				}
			})
		}
	}
}

func TestTokenAdd(t *testing.T) {
	tests := []struct {
		desc      string
		args      []string // "@out" is the --out file
		outExists bool
		existing  bool // a token basra is in the users file already
		wantErr   string
		wantScope string
	}{
		{desc: "national", args: []string{"basra", "--out", "@out"}, wantScope: "IQ"},
		{desc: "governorate", args: []string{"basra", "--scope", "IQ-BA", "--out", "@out"}, wantScope: "IQ-BA"},
		{desc: "NAME after the flags", args: []string{"--scope", "IQ-BA", "--out", "@out", "basra"}, wantScope: "IQ-BA"},
		{desc: "--out exists", args: []string{"basra", "--out", "@out"}, outExists: true, wantErr: "exists"},
		{desc: "no --out", args: []string{"basra", "--scope", "IQ-BA"}, wantErr: "--out"},
		{desc: "governorate not in the registry", args: []string{"basra", "--scope", "IQ-XX", "--out", "@out"}, wantErr: `"IQ-XX"`},
		{desc: "facility scope", args: []string{"basra", "--scope", "BG-H-001", "--out", "@out"}, wantErr: `"BG-H-001"`},
		{desc: "duplicate token", args: []string{"basra", "--out", "@out"}, existing: true, wantErr: `token "basra" exists already`},
	}
	const kept = "a file that was here before\n"
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := newEnv(t)
			if tt.existing {
				e.must(t, nil, "token", "add", "basra", "--out", filepath.Join(e.dir, "first.token"))
			}
			out := filepath.Join(e.dir, "basra.token")
			if tt.outExists {
				if err := os.WriteFile(out, []byte(kept), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"token", "add"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "@out", out))
			}
			before := e.content(t)
			r := e.run(t, nil, args...)
			if tt.wantErr != "" {
				wantErr(t, r, tt.wantErr)
				if after := e.content(t); !bytes.Equal(before, after) {
					t.Errorf("a refused token add changed the users file:\n%s\n%s", before, after)
				}
				data, err := os.ReadFile(out)
				switch {
				case tt.outExists:
					info, _ := os.Stat(out)
					if err != nil || string(data) != kept || info.Mode().Perm() != 0o644 {
						t.Errorf("the existing --out file is now %q (%v), mode %v", data, err, info.Mode())
					}
				case err == nil:
					t.Errorf("a refused token add wrote %s: %q", out, data)
				}
				return
			}
			if r.err != nil {
				t.Fatalf("%v\nstderr: %s", r.err, r.stderr)
			}
			data, err := os.ReadFile(out)
			info, serr := os.Stat(out)
			if err != nil || serr != nil {
				t.Fatal(err, serr)
			}
			if perm := info.Mode().Perm(); perm != 0o600 {
				t.Errorf("--out file mode %04o, want 0600", perm)
			}
			secret := strings.TrimSuffix(string(data), "\n")
			if !strings.HasPrefix(secret, users.TokenPrefix) || strings.ContainsAny(secret, " \n") || len(secret) < 40 {
				t.Fatalf("--out holds %q, want one gp_ token and a newline", data)
			}
			noSecret(t, r, secret)
			if file := e.content(t); bytes.Contains(file, []byte(secret)) {
				t.Errorf("the users file holds the secret:\n%s", file)
			}
			f := e.load(t)
			sum := sha256.Sum256([]byte(secret))
			if len(f.Tokens) != 1 || f.Tokens[0].Name != "basra" || f.Tokens[0].Scope != tt.wantScope || f.Tokens[0].SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("tokens = %+v, want basra of %s with the secret's SHA-256", f.Tokens, tt.wantScope)
			}
			if tk, ok := f.MatchToken(secret); !ok || tk.Name != "basra" {
				t.Errorf("MatchToken(the secret) = %+v, %v", tk, ok)
			}
		})
	}
}

func TestTokenListRemove(t *testing.T) {
	e := newEnv(t)
	var secrets []string
	for _, tk := range []struct{ name, scope string }{{"basra", "IQ-BA"}, {"national", "IQ"}} {
		out := filepath.Join(e.dir, tk.name+".token")
		e.must(t, nil, "token", "add", tk.name, "--scope", tk.scope, "--out", out)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, strings.TrimSpace(string(data)))
	}
	list := func() []string {
		t.Helper()
		r := e.must(t, nil, "token", "list")
		noSecret(t, r, secrets...)
		var rows []string
		for _, l := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
			if f := strings.Fields(l); len(f) >= 2 {
				rows = append(rows, f[0]+" "+f[1])
			}
		}
		return rows
	}
	if got, want := strings.Join(list(), "; "), "NAME SCOPE; basra IQ-BA; national IQ"; got != want {
		t.Errorf("list = %q, want %q", got, want)
	}
	tests := []struct {
		name    string
		wantErr string
		left    string
	}{
		{"basra", "", "NAME SCOPE; national IQ"},
		{"basra", `"basra"`, "NAME SCOPE; national IQ"},
		{"zaid", `"zaid"`, "NAME SCOPE; national IQ"},
	}
	for _, tt := range tests {
		r := e.run(t, nil, "token", "remove", tt.name)
		noSecret(t, r, secrets...)
		if tt.wantErr != "" {
			wantErr(t, r, tt.wantErr)
		} else if r.err != nil {
			t.Fatal(r.err)
		}
		if got := strings.Join(list(), "; "); got != tt.left {
			t.Errorf("after remove %s: list = %q, want %q", tt.name, got, tt.left)
		}
	}
	if _, ok := e.load(t).MatchToken(secrets[0]); ok {
		t.Error("the removed token still matches")
	}
}
