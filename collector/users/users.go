// Package users keeps the collector's users file: the people who sign in
// to the dashboard and API, each with a role and a scope, and the
// read-only tokens that scripts use. Passwords are kept as bcrypt hashes
// and tokens as SHA-256 sums, so the file alone lets nobody in; it is
// still written 0600, since hashes of weak passwords can be guessed
// offline.
//
// A File is a value loaded from disk and is not safe for concurrent use;
// the collector reloads it when it changes (collector/access), and
// `greenpulse-collector user …` edits it.
package users

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
)

// Role says what a user may do; the scope says where.
type Role string

// The roles of SPEC's access section.
const (
	// Planner reads everything in the country.
	Planner Role = "planner"
	// Officer reads one governorate.
	Officer Role = "officer"
	// Facility reads its own facility and acknowledges its alerts.
	Facility Role = "facility"
	// Admin reads everything and runs operator actions: roll-ups, alert
	// acknowledgements, users.
	Admin Role = "admin"
)

// National is the scope of the whole country.
const National = "IQ"

// Cost is the bcrypt cost of new hashes: bcrypt's default, about 80 ms of
// one core on the 2-core VM we measure on, so that a sign-in answers
// within 100 ms and a stolen file costs a guesser that much per try.
const Cost = bcrypt.DefaultCost

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// User is one person who signs in.
type User struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Scope   string    `json:"scope"`
	Hash    string    `json:"bcrypt"`
	Changed time.Time `json:"changed"`
}

// Token is one read-only API token. Only its SHA-256 is kept: the token
// is random, so a fast hash is enough, and a request can be matched
// without bcrypt's cost.
type Token struct {
	Name    string    `json:"name"`
	Scope   string    `json:"scope"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
}

// File is the users file's content.
type File struct {
	Users  []User  `json:"users"`
	Tokens []Token `json:"tokens"`
}

// ErrNotFound is returned for a user or token the file does not have.
var ErrNotFound = errors.New("not in the users file")

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckName says why name cannot be a user or token name, or nil.
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("name %q: use 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return nil
}

var (
	governoratePattern = regexp.MustCompile(`^IQ-[A-Z]{2,3}$`)
	facilityPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	hashPattern        = regexp.MustCompile(`^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$`)
)

// NormalScope answers the scope a user of role gets for scope as given:
// planners and admins are national (scope may be left empty or IQ), an
// officer names a governorate (IQ-BG) and a facility user its facility id.
// Whether the governorate or facility exists is for the caller, who has
// the registry.
func NormalScope(role Role, scope string) (string, error) {
	switch role {
	case Planner, Admin:
		if scope != "" && scope != National {
			return "", fmt.Errorf("scope %q: a %s is national; leave --scope out or give %s", scope, role, National)
		}
		return National, nil
	case Officer:
		if !governoratePattern.MatchString(scope) {
			return "", fmt.Errorf("scope %q: an officer's scope is one governorate's code, such as IQ-BG", scope)
		}
		return scope, nil
	case Facility:
		if scope == "" || governoratePattern.MatchString(scope) || scope == National || !facilityPattern.MatchString(scope) {
			return "", fmt.Errorf("scope %q: a facility user's scope is its facility id, such as BG-H-001", scope)
		}
		return scope, nil
	}
	return "", fmt.Errorf("role %q: want one of planner, officer, facility, admin", role)
}

// TokenScope checks a token's scope: national or one governorate.
func TokenScope(scope string) (string, error) {
	if scope == "" || scope == National {
		return National, nil
	}
	if !governoratePattern.MatchString(scope) {
		return "", fmt.Errorf("scope %q: a token is national (IQ) or one governorate's code, such as IQ-BG", scope)
	}
	return scope, nil
}

// CheckPassword says why password is too weak for user name, or nil.
func CheckPassword(name, password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Errorf("password: at least %d characters", MinPasswordLength)
	case len(password) > 72:
		return errors.New("password: at most 72 bytes (bcrypt ignores the rest)")
	case strings.EqualFold(password, name):
		return errors.New("password: must not be the user name")
	}
	return nil
}

// Load reads the users file at path. A missing file is an empty one, so
// that the first `user add` creates it. A file others may read is
// refused: it holds password hashes.
func Load(path string) (*File, error) {
	f, _, err := Read(path)
	return f, err
}

// Read is Load that also answers what the file it read was (nil when
// missing), from the one descriptor it read: a file replaced while it
// was read is then one whose change a later look still sees.
func Read(path string) (*File, os.FileInfo, error) {
	f := &File{}
	fd, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("users file %s: %w", path, err)
	}
	defer fd.Close()
	info, err := fd.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, nil, fmt.Errorf("users file %s: mode %04o lets others read password hashes; chmod 600 it", path, info.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(fd, maxFileBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if err := f.decode(data); err != nil {
		return nil, nil, fmt.Errorf("users file %s: %w", path, err)
	}
	return f, info, nil
}

// maxFileBytes bounds the users file: a few thousand users and tokens
// take well under a megabyte.
const maxFileBytes = 16 << 20

// decode parses and checks the file's content: every entry must be one
// the commands could have written.
func (f *File) decode(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return fmt.Errorf("not a users file: %w", err)
	}
	seen := map[string]bool{}
	for i, u := range f.Users {
		if err := CheckName(u.Name); err != nil {
			return fmt.Errorf("users[%d]: %w", i, err)
		}
		if seen["u:"+u.Name] {
			return fmt.Errorf("users[%d]: %q is there twice", i, u.Name)
		}
		seen["u:"+u.Name] = true
		if s, err := NormalScope(u.Role, u.Scope); err != nil || s != u.Scope {
			return fmt.Errorf("users[%d] %q: role %q with scope %q is not valid", i, u.Name, u.Role, u.Scope)
		}
		if _, err := bcrypt.Cost([]byte(u.Hash)); err != nil {
			return fmt.Errorf("users[%d] %q: bcrypt: %w", i, u.Name, err)
		}
		// bcrypt.Cost reads only the prefix: a hash no password matches
		// would be an account that silently cannot sign in.
		if !hashPattern.MatchString(u.Hash) {
			return fmt.Errorf("users[%d] %q: bcrypt: not a bcrypt hash ($2a$, $2b$ or $2y$, cost, 53 characters)", i, u.Name)
		}
	}
	for i, t := range f.Tokens {
		if err := CheckName(t.Name); err != nil {
			return fmt.Errorf("tokens[%d]: %w", i, err)
		}
		if seen["t:"+t.Name] {
			return fmt.Errorf("tokens[%d]: %q is there twice", i, t.Name)
		}
		seen["t:"+t.Name] = true
		if s, err := TokenScope(t.Scope); err != nil || s != t.Scope {
			return fmt.Errorf("tokens[%d] %q: scope %q is not valid", i, t.Name, t.Scope)
		}
		// Lower-case only: MatchToken compares the text, so an upper-case
		// sum would be a token that never matches.
		if b, err := hex.DecodeString(t.SHA256); err != nil || len(b) != sha256.Size || hex.EncodeToString(b) != t.SHA256 {
			return fmt.Errorf("tokens[%d] %q: sha256 is not 64 lower-case hex digits", i, t.Name)
		}
	}
	return nil
}

// Save writes the file to path atomically with mode 0600.
func (f *File) Save(path string) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode users file: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write users file %s: %w", path, err)
	}
	return nil
}

// User answers the user called name.
func (f *File) User(name string) (User, bool) {
	i := slices.IndexFunc(f.Users, func(u User) bool { return u.Name == name })
	if i < 0 {
		return User{}, false
	}
	return f.Users[i], true
}

// AddUser adds a user; the name must be new.
func (f *File) AddUser(name string, role Role, scope, password string, now time.Time) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if _, ok := f.User(name); ok {
		return fmt.Errorf("user %q exists already (user passwd changes the password; remove and add changes the role)", name)
	}
	scope, err := NormalScope(role, scope)
	if err != nil {
		return err
	}
	hash, err := hashPassword(name, password)
	if err != nil {
		return err
	}
	f.Users = append(f.Users, User{Name: name, Role: role, Scope: scope, Hash: hash, Changed: now.UTC()})
	return nil
}

// SetPassword replaces a user's password; its sessions end, since they
// carry the old hash (collector/access).
func (f *File) SetPassword(name, password string, now time.Time) error {
	i := slices.IndexFunc(f.Users, func(u User) bool { return u.Name == name })
	if i < 0 {
		return fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	hash, err := hashPassword(name, password)
	if err != nil {
		return err
	}
	f.Users[i].Hash, f.Users[i].Changed = hash, now.UTC()
	return nil
}

// RemoveUser removes a user.
func (f *File) RemoveUser(name string) error {
	n := len(f.Users)
	f.Users = slices.DeleteFunc(f.Users, func(u User) bool { return u.Name == name })
	if len(f.Users) == n {
		return fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	return nil
}

func hashPassword(name, password string) (string, error) {
	if err := CheckPassword(name, password); err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), Cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// dummyHash is compared against when the user does not exist, so that a
// wrong name takes as long as a wrong password and names cannot be found
// by timing. It is a hash of no password anyone has, at Cost.
const dummyHash = "$2a$10$afEt3AsOXnblVHQI4m9GSOz5q1C6a25VYKh/Vr0YBHwZg2DGJRZJe"

// Verify answers the user called name if password is theirs.
func (f *File) Verify(name, password string) (User, bool) {
	u, ok := f.User(name)
	hash := dummyHash
	if ok {
		hash = u.Hash
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !ok {
		return User{}, false
	}
	return u, true
}

// TokenPrefix starts every token, so that one pasted into the wrong place
// is recognisable (and found by secret scanners).
const TokenPrefix = "gp_"

// AddToken adds a read-only token and answers its secret, which only the
// caller ever sees: the file keeps its SHA-256.
func (f *File) AddToken(name, scope string, now time.Time) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	if slices.ContainsFunc(f.Tokens, func(t Token) bool { return t.Name == name }) {
		return "", fmt.Errorf("token %q exists already (token remove, then add, replaces it)", name)
	}
	scope, err := TokenScope(scope)
	if err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	f.Tokens = append(f.Tokens, Token{Name: name, Scope: scope, SHA256: tokenSum(secret), Created: now.UTC()})
	return secret, nil
}

// RemoveToken removes a token.
func (f *File) RemoveToken(name string) error {
	n := len(f.Tokens)
	f.Tokens = slices.DeleteFunc(f.Tokens, func(t Token) bool { return t.Name == name })
	if len(f.Tokens) == n {
		return fmt.Errorf("token %q: %w", name, ErrNotFound)
	}
	return nil
}

// MatchToken answers the token whose secret is given.
func (f *File) MatchToken(secret string) (Token, bool) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Token{}, false
	}
	sum := tokenSum(secret)
	for _, t := range f.Tokens {
		if subtle.ConstantTimeCompare([]byte(t.SHA256), []byte(sum)) == 1 {
			return t, true
		}
	}
	return Token{}, false
}

func tokenSum(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// Add loads the users file at path, adds a user and saves it: for tests
// and scripts that set up a collector.
func Add(path, name string, role Role, scope, password string) error {
	f, err := Load(path)
	if err != nil {
		return err
	}
	if err := f.AddUser(name, role, scope, password, time.Now()); err != nil {
		return err
	}
	return f.Save(path)
}
