package access

import (
	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Kinds of principal besides the users file's roles.
const (
	// RoleToken is a read-only API token.
	RoleToken users.Role = "token"
	// RolePublic is anyone not signed in, in public mode.
	RolePublic users.Role = "public"
	// RoleOpen is anyone at all, in open mode.
	RoleOpen users.Role = "open"
)

// Principal is who asks: a user, a token, the admin token, or nobody.
type Principal struct {
	Name  string
	Role  users.Role
	Scope string
	// Via says how the principal was recognised: session, proxy, token,
	// admin-token, public, open; empty for nobody.
	Via string
}

// Authenticated says whether the principal is someone, not anyone.
func (p Principal) Authenticated() bool {
	return p.Via == "session" || p.Via == "proxy" || p.Via == "token" || p.Via == "admin-token"
}

// places indexes the registry by area, for deciding what lies inside a
// scope. It is immutable once built.
type places struct {
	country    string
	facility   map[string]registry.Facility
	districtOf map[string]string // district → governorate
	governor   map[string]bool
}

func newPlaces(reg *registry.Registry, country string) *places {
	p := &places{country: country, facility: map[string]registry.Facility{}, districtOf: map[string]string{}, governor: map[string]bool{}}
	for _, f := range reg.Facilities() {
		p.facility[f.ID] = f
		p.districtOf[f.District] = f.Governorate
		p.governor[f.Governorate] = true
	}
	return p
}

// View is what one principal may see and do. It is immutable and safe
// for concurrent use.
//
// A principal sees everything inside its scope and the aggregates of the
// areas that contain it: a facility user its facility, its district, its
// governorate and the nation; an officer its governorate with its
// districts and facilities, and the nation. In public mode everyone sees
// every governorate's aggregates too, since they are public.
type View struct {
	p      Principal
	places *places
	// national: the scope is the whole country.
	national bool
	// governorate, district and facility: the scope's areas, the
	// containing ones included; empty when they do not apply.
	governorate, district, facility string
	// publicAggregates: every governorate's aggregates are public.
	publicAggregates bool
}

func newView(p Principal, pl *places, publicAggregates bool) *View {
	v := &View{p: p, places: pl, publicAggregates: publicAggregates}
	switch {
	case p.Role == RolePublic || p.Via == "":
		// national and (in public mode) governorate aggregates only
	case p.Scope == users.National || p.Scope == pl.country:
		v.national = true
	case p.Role == users.Facility:
		v.facility = p.Scope
		if f, ok := pl.facility[p.Scope]; ok {
			v.district, v.governorate = f.District, f.Governorate
		}
	default: // an officer or a governorate's token
		v.governorate = p.Scope
	}
	return v
}

// Principal answers who the view is of.
func (v *View) Principal() Principal { return v.p }

// Who names the person asking, for records such as an acknowledgement's
// "by": a user or a token; empty for the admin token, the public and open
// mode, which are nobody in particular.
func (v *View) Who() string {
	if v.p.Authenticated() && v.p.Via != "admin-token" {
		return v.p.Name
	}
	return ""
}

// Scope is the principal's scope, for messages.
func (v *View) Scope() string {
	if v.p.Role == RolePublic {
		return "public"
	}
	return v.p.Scope
}

// SeesFacility says whether the facility's own figures, status and alerts
// are visible.
func (v *View) SeesFacility(id string) bool {
	if v.national {
		return true
	}
	if v.facility != "" {
		return id == v.facility
	}
	f, ok := v.places.facility[id]
	return ok && v.governorate != "" && f.Governorate == v.governorate
}

// SeesLevel says whether any area of level may be visible: public
// visitors see no district or facility.
func (v *View) SeesLevel(level string) bool {
	if v.national || v.governorate != "" {
		return true
	}
	return level == "" || level == "national" || level == "governorate"
}

// SeesRow says whether an aggregate (or a facility's figure) of area at
// level is visible.
func (v *View) SeesRow(level, area string) bool {
	if v.national {
		return true
	}
	switch level {
	case "national":
		return v.p.Via != "" || v.p.Role == RolePublic
	case "governorate":
		return area == v.governorate || (v.publicAggregates && v.places.governor[area])
	case "district":
		if v.facility != "" {
			return area == v.district
		}
		return v.governorate != "" && v.places.districtOf[area] == v.governorate
	case "facility":
		return v.SeesFacility(area)
	}
	return false
}

// SeesArea says whether an area named in a request (a facility id, a
// district, a governorate or the country) is visible. An area the
// registry does not know is let through: nothing is stored for it.
func (v *View) SeesArea(area string) bool {
	pl := v.places
	switch {
	case v.national:
		return true
	case area == pl.country:
		return v.SeesRow("national", area)
	case pl.governor[area]:
		return v.SeesRow("governorate", area)
	case pl.districtOf[area] != "":
		return v.SeesRow("district", area)
	}
	if _, ok := pl.facility[area]; ok {
		return v.SeesFacility(area)
	}
	return true
}

// Actions a principal may be allowed.
const (
	// ReadFacilities: facility-level figures, the facility list, waste.
	ReadFacilities = "facilities"
	// ReadAlerts: the alerts of the facilities it sees.
	ReadAlerts = "alerts"
	// Acknowledge: acknowledging alerts (MayAck says which).
	Acknowledge = "ack"
	// RunRollup: POST /api/v1/rollup.
	RunRollup = "rollup"
	// ReadDHIS2: the DHIS2 export and push log, which cover the country.
	ReadDHIS2 = "dhis2"
)

// May says whether the principal may do action.
func (v *View) May(action string) bool {
	switch action {
	case ReadFacilities, ReadAlerts:
		return v.p.Authenticated() || v.p.Role == RoleOpen
	case Acknowledge:
		return v.p.Role == users.Admin || (v.p.Role == users.Facility && v.p.Via != "")
	case RunRollup:
		return v.p.Role == users.Admin
	case ReadDHIS2:
		return v.national
	}
	return false
}

// MayAck says whether the principal may acknowledge an alert of facility:
// an admin any, a facility user its own.
func (v *View) MayAck(facility string) bool {
	switch v.p.Role {
	case users.Admin:
		return true
	case users.Facility:
		return v.p.Via != "" && facility == v.facility
	}
	return false
}
