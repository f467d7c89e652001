package users

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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

func TestDummyHash(t *testing.T) {
	// A wrong name must cost as much as a wrong password.
	c, err := bcrypt.Cost([]byte(dummyHash))
	if err != nil || c != Cost {
		t.Errorf("dummyHash cost = %d, %v; want %d", c, err, Cost)
	}
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
