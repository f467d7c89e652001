package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/internal/logconf"
	"github.com/greenpulse-health/greenpulse/registry/importer"
)

// defaultLevels is the usual Iraqi hierarchy: 1 the country, 2 the
// governorate (or health directorate), 3 the district, 4 the facility.
const defaultLevels = "governorate=2,district=3,facility=4"

// importDHIS2 builds the facility list from the org units of a DHIS2
// instance.
func (c cli) importDHIS2(ctx context.Context, args []string) error {
	fs := c.newFlagSet("import-dhis2", "import-dhis2 --url URL --root UID [--levels …] [--merge FILE] --out FILE\n\n"+
		"credentials: a personal access token in $"+dhis2api.EnvToken+" or in --token-file, or --username with the password in $"+dhis2api.EnvPassword+"\n")
	baseURL := fs.String("url", "", "DHIS2 base address, e.g. https://dhis2.moh.gov.iq (required)")
	root := fs.String("root", "", "UID of the org unit to import under: the country or a governorate (required)")
	mergePath := fs.String("merge", "", "existing facility list: ids, types, beds and pv_kwp are kept from it, matched by dhis2_org_unit")
	out := fs.String("out", "", "facility list to write, atomically (required; may be the --merge file)")
	levels := fs.String("levels", defaultLevels, "DHIS2 levels of governorates, districts and facilities, by number or by DHIS2 level name")
	govs := fs.String("governorates", "", "governorate overrides UID=IQ-XX,… for governorate org units whose code and name match no governorate")
	tokenFile := fs.String("token-file", "", "file holding the personal access token (mode 600); default: the token in $"+dhis2api.EnvToken)
	username := fs.String("username", "", "log in with this user instead of a token; the password is read from $"+dhis2api.EnvPassword)
	pageSize := fs.Int("page-size", 1000, "org units per request")
	timeout := fs.Duration("timeout", time.Minute, "time limit of one request")
	retries := fs.Int("retries", 3, "times a request is retried after a network error or a 5xx answer")
	listLevels := fs.Bool("list-levels", false, "only print the levels DHIS2 has, to choose --levels from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch {
	case *baseURL == "":
		return fmt.Errorf("import-dhis2: --url is required")
	case *listLevels:
	case *root == "" || *out == "":
		return fmt.Errorf("import-dhis2: --root and --out are required")
	}
	levelSpec, err := parseLevels(*levels)
	if err != nil {
		return err
	}
	overrides, err := parsePairs("governorates", *govs, strings.TrimSpace)
	if err != nil {
		return err
	}
	gm := importer.NewGovernorateMatcher()
	for uid, code := range overrides {
		overrides[uid] = gm.LookupCode(code)
		if overrides[uid] == "" {
			return fmt.Errorf("--governorates: %s=%s: want an ISO 3166-2:IQ code such as IQ-BG", uid, code)
		}
	}
	log := logconf.Default().New(c.stderr) // stdout is for the report
	token, user, pass, err := c.credentials(*tokenFile, *username, log)
	if err != nil {
		return err
	}
	client, err := dhis2api.New(dhis2api.Config{URL: *baseURL, Token: token, Username: user, Password: pass,
		Timeout: *timeout, Retries: *retries, UserAgent: "greenpulse-registry"})
	if err != nil {
		return err
	}

	lv, err := importer.FetchLevels(ctx, client)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "DHIS2 levels: %s\n", importer.DescribeLevels(lv))
	if *listLevels {
		return nil
	}
	m := importer.DHIS2Mapping{Root: *root, Governorates: overrides, Now: c.now()}
	for _, x := range []struct {
		name string
		dst  *int
	}{{"governorate", &m.Governorate}, {"district", &m.District}, {"facility", &m.Facility}} {
		n, err := importer.ResolveLevel(levelSpec[x.name], lv)
		if err != nil {
			return fmt.Errorf("--levels %s=%s: %w", x.name, levelSpec[x.name], err)
		}
		*x.dst = n
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("import-dhis2: %w", err)
	}

	start := time.Now()
	units, st, err := importer.FetchOrgUnits(ctx, client, m.Root, []int{m.Governorate, m.District, m.Facility}, *pageSize, log)
	if err != nil {
		return err
	}
	if len(units) == 0 {
		return fmt.Errorf("import-dhis2: no org units at levels %d, %d, %d under root %s: check --root and --levels, and that this user may read them", m.Governorate, m.District, m.Facility, m.Root)
	}
	src, err := importer.MapOrgUnits(units, m, gm)
	if err != nil {
		return fmt.Errorf("import-dhis2: %w", err)
	}
	src.Notes = append([]string{
		fmt.Sprintf("using levels: governorate=%d (%s), district=%d (%s), facility=%d (%s)",
			m.Governorate, levelName(lv, m.Governorate), m.District, levelName(lv, m.District), m.Facility, levelName(lv, m.Facility)),
		fmt.Sprintf("read %d org units under %s in %d pages of up to %d (%s)", st.Units, m.Root, st.Pages, *pageSize, time.Since(start).Round(time.Millisecond)),
	}, src.Notes...)
	return c.finish(src, *mergePath, *out, importer.Options{})
}

// parseLevels reads "governorate=2,district=3,facility=4" over the
// defaults.
func parseLevels(spec string) (map[string]string, error) {
	out, _ := parsePairs("levels", defaultLevels, strings.ToLower)
	given, err := parsePairs("levels", spec, strings.ToLower)
	if err != nil {
		return nil, err
	}
	for k, v := range given {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("--levels: unknown key %q: want governorate, district and facility", k)
		}
		out[k] = v
	}
	return out, nil
}

// levelName returns the DHIS2 name of level n.
func levelName(levels []importer.Level, n int) string {
	for _, l := range levels {
		if l.Level == n {
			return l.Name
		}
	}
	return "?"
}
