package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// This file reads DHIS2's organisation unit levels and the organisation
// units under a root, page by page, as the Web API's metadata lists serve
// them (dhis2-docs src/developer/web-api/metadata.md: "Browsing the Web
// API" for page, pageSize and the pager; "Metadata object filter" for
// filter=path:like:<root> and level:in:[…]; "Metadata field filter" for
// fields=).

// Getter sends GET path?query to DHIS2 and decodes a 2xx JSON answer into
// out. *dhis2api.Client is one.
type Getter interface {
	GetJSON(ctx context.Context, path string, query url.Values, out any) error
}

// Level is one organisation unit level of a DHIS2 instance: 1 is the root
// (usually the country), each level below it one more.
type Level struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Level int    `json:"level"`
}

// Pager is the paging summary DHIS2 adds to a metadata list.
type Pager struct {
	Page      int `json:"page"`
	PageCount int `json:"pageCount"`
	Total     int `json:"total"`
}

// OrgUnit is one organisation unit with the fields the import asks for.
type OrgUnit struct {
	ID   string `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
	// DisplayName is the name translated to the requested locale (ar),
	// or the name where it has no translation.
	DisplayName  string        `json:"displayName"`
	Level        int           `json:"level"`
	Path         string        `json:"path"`
	Parent       *Ref          `json:"parent"`
	Geometry     *Geometry     `json:"geometry"`
	ClosedDate   string        `json:"closedDate"`
	Translations []Translation `json:"translations"`
}

// Ref is a reference to another object, {"id": "…"}.
type Ref struct {
	ID string `json:"id"`
}

// Geometry is a GeoJSON geometry. For a Point, Coordinates is [lon, lat].
type Geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// Translation is one translated property of an object, such as
// {"property": "NAME", "locale": "ar", "value": "…"}.
type Translation struct {
	Property string `json:"property"`
	Locale   string `json:"locale"`
	Value    string `json:"value"`
}

// OrgUnitsPage is one page of GET /api/organisationUnits.
type OrgUnitsPage struct {
	Pager             *Pager    `json:"pager"`
	OrganisationUnits []OrgUnit `json:"organisationUnits"`
}

// levelsList is the answer to GET /api/organisationUnitLevels?paging=false.
type levelsList struct {
	Levels []Level `json:"organisationUnitLevels"`
}

// orgUnitFields are the fields the import reads: nothing else is fetched.
const orgUnitFields = "id,code,name,displayName,level,path,parent[id],geometry,closedDate,translations[property,locale,value]"

// maxPages bounds a paged read against a server whose pager never ends.
const maxPages = 10000

// FetchLevels returns the organisation unit levels of the DHIS2 instance,
// ordered by level. They are few, so they are read in one unpaged request.
func FetchLevels(ctx context.Context, g Getter) ([]Level, error) {
	q := url.Values{"fields": {"id,name,level"}, "paging": {"false"}}
	var p levelsList
	if err := g.GetJSON(ctx, "/api/organisationUnitLevels", q, &p); err != nil {
		return nil, fmt.Errorf("read organisation unit levels: %w", err)
	}
	out := p.Levels
	if len(out) == 0 {
		return nil, fmt.Errorf("read organisation unit levels: DHIS2 has none (or this user may not read them)")
	}
	slices.SortFunc(out, func(a, b Level) int { return a.Level - b.Level })
	return out, nil
}

// FetchStats says how a paged read of org units went.
type FetchStats struct {
	Pages, Units, Duplicates int
	Total                    int // as the last pager said; 0 if unpaged
}

// FetchOrgUnits returns the org units whose path holds root and whose level
// is one of levels, pageSize at a time, ordered by UID so that the pages do
// not shift while they are read. A unit served twice is kept once.
func FetchOrgUnits(ctx context.Context, g Getter, root string, levels []int, pageSize int, log *slog.Logger) ([]OrgUnit, FetchStats, error) {
	if pageSize <= 0 {
		return nil, FetchStats{}, fmt.Errorf("page size: want > 0, got %d", pageSize)
	}
	lv := make([]string, len(levels))
	for i, l := range levels {
		lv[i] = strconv.Itoa(l)
	}
	q := url.Values{
		"fields": {orgUnitFields},
		"filter": {"path:like:" + root, "level:in:[" + strings.Join(lv, ",") + "]"},
		"order":  {"id:asc"},
		// displayName in Arabic, in case the server filters the
		// translations array to the user's locale (metadata.md,
		// "Translation API").
		"locale":   {"ar"},
		"pageSize": {strconv.Itoa(pageSize)},
	}
	var (
		st   FetchStats
		out  []OrgUnit
		seen = map[string]bool{}
	)
	err := pages(ctx, "organisationUnits", func(page int) (*Pager, int, error) {
		pq := maps.Clone(q) // a Getter may keep the values it was given
		pq.Set("page", strconv.Itoa(page))
		var p OrgUnitsPage
		if err := g.GetJSON(ctx, "/api/organisationUnits", pq, &p); err != nil {
			return nil, 0, fmt.Errorf("read organisation units, page %d: %w", page, err)
		}
		st.Pages++
		for _, u := range p.OrganisationUnits {
			if seen[u.ID] {
				st.Duplicates++
				continue
			}
			seen[u.ID] = true
			out = append(out, u)
		}
		if p.Pager != nil {
			st.Total = p.Pager.Total
			log.Info("read organisation units", "page", page, "pages", p.Pager.PageCount, "units", len(out), "total", p.Pager.Total)
		}
		return p.Pager, len(p.OrganisationUnits), nil
	})
	st.Units = len(out)
	if err != nil {
		return nil, st, err
	}
	if st.Duplicates > 0 {
		log.Warn("DHIS2 served some organisation units on more than one page; each is kept once", "duplicates", st.Duplicates)
	}
	if st.Total > 0 && st.Total != st.Units {
		log.Warn("DHIS2's pager total differs from the units read: were org units changed during the import?", "total", st.Total, "read", st.Units)
	}
	return out, st, nil
}

// pages calls get for page 1, 2, … until the pager says it was the last,
// a page comes back empty, or there is no pager.
func pages(ctx context.Context, what string, get func(page int) (*Pager, int, error)) error {
	for page := 1; page <= maxPages; page++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		p, n, err := get(page)
		if err != nil {
			return err
		}
		// DHIS2 clamps the page it reports to pageCount: a page past the
		// end says an earlier page number and holds nothing.
		if p == nil || n == 0 || p.Page < page || page >= p.PageCount {
			return nil
		}
	}
	return fmt.Errorf("read %s: more than %d pages; is the pager broken?", what, maxPages)
}

// ResolveLevel turns a level given as a number ("2") or as a DHIS2 level's
// name ("Governorate", any case) into its number, checking it exists.
func ResolveLevel(spec string, levels []Level) (int, error) {
	spec = strings.TrimSpace(spec)
	if n, err := strconv.Atoi(spec); err == nil {
		for _, l := range levels {
			if l.Level == n {
				return n, nil
			}
		}
		return 0, fmt.Errorf("DHIS2 has no level %d; it has %s", n, DescribeLevels(levels))
	}
	for _, l := range levels {
		if strings.EqualFold(strings.TrimSpace(l.Name), spec) {
			return l.Level, nil
		}
	}
	return 0, fmt.Errorf("DHIS2 has no level named %q; it has %s", spec, DescribeLevels(levels))
}

// DescribeLevels lists levels as "1 National, 2 Governorate, …".
func DescribeLevels(levels []Level) string {
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = fmt.Sprintf("%d %s", l.Level, l.Name)
	}
	return strings.Join(parts, ", ")
}
