// Package dhis2test is an in-process test double of a DHIS2 server: an
// httptest server that implements exactly the Web API endpoints GreenPulse
// calls (organisation units and their levels, the metadata import and the
// metadata lists, and the aggregate data value import) and answers them
// with bodies shaped as the DHIS2 2.38–2.41 developer documentation and the
// dhis2-core sources of those versions define them. Conformance is to that
// documentation, not to GreenPulse's expectations: where the two differ the
// double answers as DHIS2 does.
//
// A test starts it with Start, seeds it with org units, and inspects what
// was stored after the code under test ran:
//
//	srv := dhis2test.Start(t, dhis2test.Options{Token: "d2pat_test"})
//	srv.AddOrgUnits(dhis2test.OrgUnit{ID: "ImspTQPwCqd", Name: "Iraq", Level: 1})
//	... run the code under test against srv.URL() ...
//	v, ok := srv.Value(deUID, "202611", ouUID)
//
// A Server is safe for concurrent use: every handler and every method holds
// one mutex. It keeps no global state, so tests may run in parallel, each
// with its own Server.
package dhis2test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a Server.
type Options struct {
	// Token is the accepted personal access token, sent by the client as
	// the header "Authorization: ApiToken <token>". Empty accepts none.
	Token string
	// Username and Password are the accepted HTTP basic credentials.
	// An empty Username accepts none.
	Username, Password string
	// Version is the DHIS2 version the server claims, default "2.40.4".
	// Below 2.38 the data value import answers the bare ImportSummary
	// (HTTP 200 even with conflicts), as those versions did.
	Version string
	// StrictOrganisationUnits and StrictDataElements play DHIS2's system
	// settings "Require data elements to be assigned to the organisation
	// unit's data sets" (E7636) and "… to be part of the data set"
	// (E7633). Both are off by default, as in DHIS2; a request can also
	// turn them on with strictOrganisationUnits=true or
	// strictDataElements=true.
	StrictOrganisationUnits, StrictDataElements bool
}

// Server is a running DHIS2 test double. It is safe for concurrent use.
type Server struct {
	opt   Options
	minor int // minor version number of 2.x, e.g. 40 for 2.40.4
	http  *httptest.Server

	mu       sync.Mutex
	levels   []OrgUnitLevel
	units    map[string]*orgUnit // by UID
	unitList []*orgUnit          // in insertion order
	// objects holds the imported metadata: kind → UID → object.
	objects map[string]map[string]map[string]any
	kindOf  map[string]string // UID → kind, across all metadata kinds
	// dataSetsOf maps a data element UID to the UIDs of the data sets
	// that hold it, rebuilt on every metadata commit.
	dataSetsOf map[string][]string
	// dataSetUnits maps a data set UID to its org unit UIDs.
	dataSetUnits map[string]map[string]bool
	values       map[valueKey]*storedValue
	uidSeq       uint64
	now          func() time.Time // the clock of the open-period checks
	locked       map[string]bool
	roots        []string // the user's data capture roots; nil: everything
	failN        int
	failStatus   int
	requests     []Request
}

// Start starts a Server on a loopback port and closes it when the test
// ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	if opt.Version == "" {
		opt.Version = "2.40.4"
	}
	s := &Server{
		opt:        opt,
		minor:      minorVersion(opt.Version),
		units:      map[string]*orgUnit{},
		objects:    map[string]map[string]map[string]any{},
		kindOf:     map[string]string{},
		dataSetsOf: map[string][]string{},
		values:     map[valueKey]*storedValue{},
		locked:     map[string]bool{},
		now:        time.Now,
	}
	for _, k := range metadataKinds {
		s.objects[k.plural] = map[string]map[string]any{}
	}
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.http.Close)
	return s
}

// URL returns the server's base URL, without a trailing slash; clients
// append /api/….
func (s *Server) URL() string { return s.http.URL }

// Request is one request the server answered.
type Request struct {
	Method, Path, RawQuery string
	Status                 int
}

// Requests returns every request answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// FailNext makes the next n requests to /api/dataValueSets that pass
// authentication answer status (e.g. 500 or 503) with a DHIS2 error
// WebMessage, storing nothing.
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus = n, status
}

// minorVersion returns 40 for "2.40.4"; an unparsable version counts as
// current.
func minorVersion(v string) int {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return 40
	}
	n := 0
	for _, c := range parts[1] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	if n == 0 {
		return 40
	}
	return n
}

// apiPath matches /api, an optional API version (/api/40/…, see
// overview.md "Web API versions") and the resource; a ".json" suffix is
// the JSON representation and is dropped.
var apiPath = regexp.MustCompile(`^/api(?:/(\d{2}))?(/[^?]*)?$`)

// recorder remembers the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.route(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Status: rec.status})
}

// route dispatches a request; the caller holds s.mu.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if msg, ok := s.authenticate(r); !ok {
		writeUnauthorized(w, msg)
		return
	}
	m := apiPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeNotFound(w, r)
		return
	}
	resource := strings.TrimSuffix(strings.Trim(m[2], "/"), ".json")
	name, uid, _ := strings.Cut(resource, "/")
	uid = strings.TrimSuffix(uid, ".json")
	switch {
	case name == "dataValueSets" && uid == "" && r.Method == http.MethodPost:
		if s.failN > 0 {
			s.failN--
			drain(r)
			writeError(w, s.failStatus, "Simulated failure of the DHIS2 test server.")
			return
		}
		s.postDataValueSets(w, r)
	case name == "metadata" && uid == "" && r.Method == http.MethodPost:
		s.postMetadata(w, r)
	case name == "organisationUnitLevels" && r.Method == http.MethodGet:
		s.getLevels(w, r, uid)
	case name == "organisationUnits" && r.Method == http.MethodGet:
		s.getOrgUnits(w, r, uid)
	case kindByPlural(name) != nil && r.Method == http.MethodGet:
		s.getMetadataList(w, r, kindByPlural(name), uid)
	case name == "system" && uid == "info" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"version": s.opt.Version})
	default:
		writeNotFound(w, r)
	}
}
