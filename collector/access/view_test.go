package access

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/registry"
)

// testRegistry is configs/facilities.csv: BG-H-001 and BG-H-004 lie in
// district BG-RSF of IQ-BG, BG-H-002 in BG-KRK of IQ-BG, BA-H-001 in
// BA-BSR of IQ-BA.
var testRegistry = sync.OnceValues(func() (*registry.Registry, error) {
	return registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
})

func loadRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := testRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// viewChecks is every question the matrix asks a view; a row lists the
// ones answered yes, and every other must be answered no.
var viewChecks = []string{
	"facility BG-H-001", "facility BG-H-004", "facility BG-H-002", "facility BA-H-001", "facility XX-H-999",
	"row national IQ", "row governorate IQ-BG", "row governorate IQ-BA", "row governorate IQ-NI",
	"row district BG-RSF", "row district BG-KRK", "row district BA-BSR",
	"row facility BG-H-001", "row facility BG-H-002", "row facility BA-H-001", "row other IQ",
	"area IQ", "area IQ-BG", "area IQ-BA", "area IQ-NI", "area BG-RSF", "area BG-KRK", "area BA-BSR",
	"area BG-H-001", "area BG-H-004", "area BA-H-001", "area XX-UNKNOWN",
	"level national", "level governorate", "level district", "level facility", "level ",
	"may facilities", "may alerts", "may ack", "may rollup", "may dhis2", "may unknown",
	"ack BG-H-001", "ack BG-H-002", "ack BA-H-001",
}

func ask(v *View, check string) bool {
	kind, rest, _ := strings.Cut(check, " ")
	switch kind {
	case "facility":
		return v.SeesFacility(rest)
	case "row":
		level, area, _ := strings.Cut(rest, " ")
		return v.SeesRow(level, area)
	case "area":
		return v.SeesArea(rest)
	case "level":
		return v.SeesLevel(rest)
	case "may":
		return v.May(rest)
	case "ack":
		return v.MayAck(rest)
	}
	panic("unknown check " + check)
}

func TestViewMatrix(t *testing.T) {
	reg := loadRegistry(t)
	pl := newPlaces(reg, "IQ")
	allNational := []string{
		"facility BG-H-001", "facility BG-H-004", "facility BG-H-002", "facility BA-H-001", "facility XX-H-999",
		"row national IQ", "row governorate IQ-BG", "row governorate IQ-BA", "row governorate IQ-NI",
		"row district BG-RSF", "row district BG-KRK", "row district BA-BSR",
		"row facility BG-H-001", "row facility BG-H-002", "row facility BA-H-001", "row other IQ",
		"area IQ", "area IQ-BG", "area IQ-BA", "area IQ-NI", "area BG-RSF", "area BG-KRK", "area BA-BSR",
		"area BG-H-001", "area BG-H-004", "area BA-H-001", "area XX-UNKNOWN",
		"level national", "level governorate", "level district", "level facility", "level ",
	}
	levels := []string{"level national", "level governorate", "level district", "level facility", "level "}
	tests := []struct {
		desc   string
		p      Principal
		public bool
		yes    []string
		scope  string
		who    string
	}{
		{
			desc:  "planner",
			p:     Principal{Name: "amal", Role: users.Planner, Scope: "IQ", Via: "session"},
			yes:   append(slices.Clone(allNational), "may facilities", "may alerts", "may dhis2"),
			scope: "IQ", who: "amal",
		},
		{
			desc:  "admin",
			p:     Principal{Name: "root", Role: users.Admin, Scope: "IQ", Via: "session"},
			yes:   append(slices.Clone(allNational), "may facilities", "may alerts", "may ack", "may rollup", "may dhis2", "ack BG-H-001", "ack BG-H-002", "ack BA-H-001"),
			scope: "IQ", who: "root",
		},
		{
			desc:  "admin token",
			p:     Principal{Name: "admin-token", Role: users.Admin, Scope: "IQ", Via: "admin-token"},
			yes:   append(slices.Clone(allNational), "may facilities", "may alerts", "may ack", "may rollup", "may dhis2", "ack BG-H-001", "ack BG-H-002", "ack BA-H-001"),
			scope: "IQ", who: "",
		},
		{
			desc: "officer IQ-BG",
			p:    Principal{Name: "omar", Role: users.Officer, Scope: "IQ-BG", Via: "session"},
			yes: append(slices.Clone(levels),
				"facility BG-H-001", "facility BG-H-004", "facility BG-H-002",
				"row national IQ", "row governorate IQ-BG", "row district BG-RSF", "row district BG-KRK",
				"row facility BG-H-001", "row facility BG-H-002",
				"area IQ", "area IQ-BG", "area BG-RSF", "area BG-KRK", "area BG-H-001", "area BG-H-004", "area XX-UNKNOWN",
				"may facilities", "may alerts"),
			scope: "IQ-BG", who: "omar",
		},
		{
			desc: "officer IQ-BG by proxy in public mode",
			p:    Principal{Name: "omar", Role: users.Officer, Scope: "IQ-BG", Via: "proxy"},
			// Every governorate's aggregates are public, its districts not.
			public: true,
			yes: append(slices.Clone(levels),
				"facility BG-H-001", "facility BG-H-004", "facility BG-H-002",
				"row national IQ", "row governorate IQ-BG", "row governorate IQ-BA", "row governorate IQ-NI",
				"row district BG-RSF", "row district BG-KRK", "row facility BG-H-001", "row facility BG-H-002",
				"area IQ", "area IQ-BG", "area IQ-BA", "area IQ-NI", "area BG-RSF", "area BG-KRK", "area BG-H-001", "area BG-H-004", "area XX-UNKNOWN",
				"may facilities", "may alerts"),
			scope: "IQ-BG", who: "omar",
		},
		{
			desc: "facility BG-H-001",
			p:    Principal{Name: "fatima", Role: users.Facility, Scope: "BG-H-001", Via: "session"},
			yes: append(slices.Clone(levels),
				"facility BG-H-001",
				"row national IQ", "row governorate IQ-BG", "row district BG-RSF", "row facility BG-H-001",
				"area IQ", "area IQ-BG", "area BG-RSF", "area BG-H-001", "area XX-UNKNOWN",
				"may facilities", "may alerts", "may ack", "ack BG-H-001"),
			scope: "BG-H-001", who: "fatima",
		},
		{
			desc: "token IQ-BA",
			p:    Principal{Name: "basra-script", Role: RoleToken, Scope: "IQ-BA", Via: "token"},
			yes: append(slices.Clone(levels),
				"facility BA-H-001",
				"row national IQ", "row governorate IQ-BA", "row district BA-BSR", "row facility BA-H-001",
				"area IQ", "area IQ-BA", "area BA-BSR", "area BA-H-001", "area XX-UNKNOWN",
				"may facilities", "may alerts"),
			scope: "IQ-BA", who: "basra-script",
		},
		{
			desc: "national token",
			p:    Principal{Name: "national", Role: RoleToken, Scope: "IQ", Via: "token"},
			yes:  append(slices.Clone(allNational), "may facilities", "may alerts", "may dhis2"),
			// A token acknowledges nothing and runs nothing.
			scope: "IQ", who: "national",
		},
		{
			desc:   "public (mode public)",
			p:      Principal{Role: RolePublic, Via: "public"},
			public: true,
			yes: []string{"row national IQ", "row governorate IQ-BG", "row governorate IQ-BA", "row governorate IQ-NI",
				"area IQ", "area IQ-BG", "area IQ-BA", "area IQ-NI", "area XX-UNKNOWN",
				"level national", "level governorate", "level "},
			scope: "public", who: "",
		},
		{
			desc:  "open",
			p:     Principal{Name: "open", Role: RoleOpen, Scope: "IQ", Via: "open"},
			yes:   append(slices.Clone(allNational), "may facilities", "may alerts", "may dhis2"),
			scope: "IQ", who: "",
		},
		{
			desc:  "nobody (mode users)",
			p:     Principal{},
			yes:   []string{"area XX-UNKNOWN", "level national", "level governorate", "level "},
			scope: "", who: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			v := newView(tt.p, pl, tt.public)
			for _, y := range tt.yes {
				if !slices.Contains(viewChecks, y) {
					t.Fatalf("row names %q, which the matrix does not ask", y)
				}
			}
			for _, c := range viewChecks {
				want := slices.Contains(tt.yes, c)
				if got := ask(v, c); got != want {
					t.Errorf("%s = %v, want %v", c, got, want)
				}
			}
			if got := v.Principal(); got != tt.p {
				t.Errorf("Principal() = %+v, want %+v", got, tt.p)
			}
			if got := v.Scope(); got != tt.scope {
				t.Errorf("Scope() = %q, want %q", got, tt.scope)
			}
			if got := v.Who(); got != tt.who {
				t.Errorf("Who() = %q, want %q", got, tt.who)
			}
		})
	}
}

func TestViewOfOutsideWrap(t *testing.T) {
	// Outside Wrap the view knows no areas, so SeesArea lets every name
	// through as unknown; what matters is that no row is visible.
	v := ViewOf(t.Context())
	for _, c := range viewChecks {
		if strings.HasPrefix(c, "area") || (strings.HasPrefix(c, "level") && c != "level district" && c != "level facility") {
			continue
		}
		if ask(v, c) {
			t.Errorf("a request outside Wrap: %s = true", c)
		}
	}
	if v.Principal().Authenticated() {
		t.Error("a request outside Wrap is authenticated")
	}
}

func TestAuthenticated(t *testing.T) {
	for via, want := range map[string]bool{"session": true, "proxy": true, "token": true, "admin-token": true, "public": false, "open": false, "": false} {
		if got := (Principal{Via: via}).Authenticated(); got != want {
			t.Errorf("Via %q: Authenticated() = %v, want %v", via, got, want)
		}
	}
}
