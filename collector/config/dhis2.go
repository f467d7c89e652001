package config

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Environment variables for the DHIS2 secrets.
const (
	EnvDHIS2Token    = dhis2api.EnvToken
	EnvDHIS2Password = dhis2api.EnvPassword
)

// DHIS2 configures the monthly push of indicators into a DHIS2 server, the
// setup of its metadata and GET /api/v1/export/dhis2.
type DHIS2 struct {
	// Enabled runs the push schedule inside serve. The export endpoint and
	// the dhis2 commands work whenever the section is valid.
	Enabled bool   `yaml:"enabled"`
	URL     string `yaml:"url"`
	// Token is a DHIS2 personal access token (header
	// "Authorization: ApiToken <token>"); GREENPULSE_DHIS2_TOKEN wins.
	Token string `yaml:"token"`
	// Username and Password log in with HTTP basic authentication when no
	// token is given; GREENPULSE_DHIS2_PASSWORD wins over the file.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DataSet is the UID of the monthly data set; by default the one
	// `dhis2 setup` creates.
	DataSet string `yaml:"data_set"`
	// OrgUnitIDScheme says how a facility names its org unit: uid (the
	// registry's dhis2_org_unit), code (the facility id is the org unit's
	// code) or attribute:<UID> (the facility id is the value of that
	// attribute, e.g. a HeRAMS id).
	OrgUnitIDScheme string `yaml:"org_unit_id_scheme"`
	// DataElementIDScheme says how the identifiers of DataElements are
	// read: uid or code.
	DataElementIDScheme string `yaml:"data_element_id_scheme"`
	// DataElements maps a pushed quantity (see docs/dhis2.md) to a data
	// element the ministry already has. A quantity left out goes to the
	// data element `dhis2 setup` creates for it.
	DataElements map[string]string `yaml:"data_elements"`
	// Schedule lists cron lines in the roll-up timezone; each pushes the
	// previous month.
	Schedule []string `yaml:"schedule"`
	// Timeout bounds one request; Retries is how often a request that met a
	// network error or a 5xx is sent again, with backoff from RetryInitial.
	Timeout      time.Duration `yaml:"timeout"`
	Retries      int           `yaml:"retries"`
	RetryInitial time.Duration `yaml:"retry_initial"`
	// ChunkSize is the number of data values in one POST /api/dataValueSets.
	ChunkSize int `yaml:"chunk_size"`
	// PushLog is the JSON-lines file each push is recorded in.
	PushLog string `yaml:"push_log"`
}

// DefaultDHIS2 is the section's defaults: off, the previous month pushed on
// the 5th at 02:00 and again on the 15th for late data.
func DefaultDHIS2(dataSet string) DHIS2 {
	return DHIS2{
		DataSet:             dataSet,
		OrgUnitIDScheme:     "uid",
		DataElementIDScheme: "uid",
		Schedule:            []string{"0 2 5 * *", "0 2 15 * *"},
		Timeout:             60 * time.Second,
		Retries:             4,
		RetryInitial:        2 * time.Second,
		ChunkSize:           2000,
		PushLog:             "dhis2-pushes.jsonl",
	}
}

// Configured reports whether a DHIS2 server is named at all.
func (d DHIS2) Configured() bool { return d.URL != "" }

func (d DHIS2) validate(bad func(key, format string, args ...any)) {
	if d.Enabled && d.URL == "" {
		bad("dhis2.url", "required when dhis2.enabled is true: the DHIS2 server, e.g. https://dhis2.moh.gov.iq")
	}
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			bad("dhis2.url", "want an address such as https://dhis2.moh.gov.iq, got %q", dhis2api.Redact(d.URL))
		case u.User != nil:
			bad("dhis2.url", "must not hold a username or password: use dhis2.token (or %s)", EnvDHIS2Token)
		}
		if d.Token == "" && d.Username == "" {
			bad("dhis2.token", "required: a DHIS2 personal access token (or %s), or dhis2.username and password", EnvDHIS2Token)
		}
		if d.Token == "" && d.Username != "" && d.Password == "" {
			bad("dhis2.password", "required with dhis2.username (or %s)", EnvDHIS2Password)
		}
	}
	if !registry.IsDHIS2UID(d.DataSet) {
		bad("dhis2.data_set", "want a DHIS2 UID (11 characters: a letter, then letters or digits), got %q", d.DataSet)
	}
	if err := catalog.CheckOrgUnitIDScheme(d.OrgUnitIDScheme); err != nil {
		bad("dhis2.org_unit_id_scheme", "%v", err)
	}
	if err := catalog.CheckDataElementIDScheme(d.DataElementIDScheme); err != nil {
		bad("dhis2.data_element_id_scheme", "%v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(d.DataElements)) {
		if err := catalog.CheckDataElement(k, d.DataElements[k], d.DataElementIDScheme); err != nil {
			bad("dhis2.data_elements."+k, "%v", err)
		}
	}
	for i, spec := range d.Schedule {
		if _, err := cron.ParseStandard(spec); err != nil {
			bad(fmt.Sprintf("dhis2.schedule[%d]", i), "%q is not a cron schedule such as \"0 2 5 * *\": %v", spec, err)
		}
	}
	if d.Enabled && len(d.Schedule) == 0 {
		bad("dhis2.schedule", "required when dhis2.enabled is true, e.g. [\"0 2 5 * *\"]")
	}
	if d.Timeout <= 0 {
		bad("dhis2.timeout", "must be a positive duration such as 60s, got %s", d.Timeout)
	}
	if d.Retries < 0 || d.Retries > 20 {
		bad("dhis2.retries", "must be 0 to 20, got %d", d.Retries)
	}
	if d.RetryInitial <= 0 {
		bad("dhis2.retry_initial", "must be a positive duration such as 2s, got %s", d.RetryInitial)
	}
	if d.ChunkSize < 1 || d.ChunkSize > 100_000 {
		bad("dhis2.chunk_size", "must be 1 to 100000 data values, got %d", d.ChunkSize)
	}
	if d.PushLog == "" {
		bad("dhis2.push_log", "required: the file each push is recorded in")
	}
}
