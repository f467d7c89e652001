// Package importer builds the master facility list from the systems a
// ministry of health already keeps: the organisation units of its DHIS2
// instance, or a WHO HeRAMS facility export. Both are turned into
// Candidates — one per facility the source describes — which Merge then
// matches to an existing facility list (the merge file), completes and
// checks, so that the written list passes registry.Parse.
//
//	DHIS2 org units ─ FetchOrgUnits ─ MapOrgUnits ─┐
//	                                               ├─ Source ─ Merge(base) ─ Result ─ Encode / WriteReport
//	HeRAMS CSV ─────────────────────── ReadHeRAMS ─┘
//
// What the source knows wins for names, governorate, district and
// coordinates; what only the merge file knows (facility id, type, beds,
// PV capacity) is kept. Every unit or row that cannot become a facility is
// reported with why; no facility of the merge file is ever dropped.
//
// Nothing in the package holds global mutable state; its functions are
// safe for concurrent use on distinct arguments.
package importer

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/greenpulse-health/greenpulse/registry"
)

// Candidate is one facility as an outside source describes it, before it is
// matched to the merge file and checked.
type Candidate struct {
	// Where names the unit or row in messages: `org unit "X" (UID)` or
	// "export.csv:12".
	Where string
	// OrgUnit is the DHIS2 org unit UID, or "" if the source has none.
	OrgUnit string
	// SourceID is the source's own code for the facility (the DHIS2 org
	// unit's code, the HeRAMS id), proposed as the facility id.
	SourceID string
	Name     string
	// NameAr is the Arabic name when the source has one, else "".
	NameAr string
	// TypeText is the source's own word for the facility's type (HeRAMS),
	// or "". Merge guesses a new facility's type from it and Name.
	TypeText string
	Beds     int
	// Governorate is the ISO 3166-2:IQ code, already resolved.
	Governorate string
	District    District
	Lat, Lon    float64
	HasCoords   bool
	// NoCoords says why there are no coordinates when HasCoords is false.
	NoCoords string
}

// District is what a source knows of a facility's district; Merge turns it
// into a district code unique in the file.
type District struct {
	// Key identifies the district within its governorate (a DHIS2 UID, a
	// HeRAMS district name's key); "" if the source names no district.
	Key  string
	Name string
	// Code is the source's own code for the district, used if it is a
	// valid and unique registry code.
	Code string
	// Derived is the code to fall back on, stable across imports.
	Derived string
}

// Problem is a unit or row that did not become a facility, and why.
type Problem struct {
	Where string
	Line  int // the source file's line, or 0
	Name  string
	// OrgUnit and ID relate the problem to a facility of the merge file.
	OrgUnit, ID string
	Reason      string
}

func (p Problem) String() string {
	if p.Name != "" && p.Line > 0 {
		return fmt.Sprintf("%s: %q: %s", p.Where, p.Name, p.Reason)
	}
	return p.Where + ": " + p.Reason
}

// Source is what an outside system yields: the candidates, the units it
// skipped on purpose (closed, destroyed), the ones it could not map, and
// notes on how it matched levels, governorates and columns.
type Source struct {
	Name       string // "DHIS2" or "HeRAMS", for the report
	Candidates []Candidate
	Skipped    []Problem
	Problems   []Problem
	Notes      []string
}

// Options say how Merge matches candidates to the merge file.
type Options struct {
	// MatchByID matches a candidate that has no org unit to the merge
	// file's facility of the same id (HeRAMS). DHIS2 candidates match by
	// dhis2_org_unit only.
	MatchByID bool
	// BaseName names the merge file in the report; "" if there is none.
	BaseName string
}

// Result is the new facility list and the report of how it was made.
type Result struct {
	Facilities []registry.Facility
	Report     Report
}

// Report counts and lists what Merge did; WriteReport prints it.
type Report struct {
	Source   string
	BaseName string // the merge file, "" if none
	Notes    []string
	Skipped  []Problem
	Unmapped []Problem
	// KeptUnmapped are facilities of the merge file whose source unit
	// could not be mapped: they are written as they were.
	KeptUnmapped []string
	// FromSource facilities were written from the source, Matched of
	// them onto a merge-file row.
	FromSource, Matched int
	// How each written facility got its name_ar: from the source, kept
	// from the merge file, the name already being Arabic, or none found.
	NameArSource, NameArKept, NameArIsName, NameArMissing int
	// Guessed counts the types guessed for new facilities.
	Guessed map[registry.Type]int
	// NoDistrict counts new facilities the source named no district for.
	NoDistrict int
	Diff       Diff
}

// Merge builds the facility list from src and base, the merge file (nil if
// none). Facilities of base keep their place and their id, type, beds and
// pv_kwp; new ones follow, sorted by governorate, district and name.
func Merge(src Source, base *registry.Registry, opt Options) (*Result, error) {
	var baseFs []registry.Facility
	if base != nil {
		baseFs = base.Facilities()
	}
	m := merger{
		src: src, opt: opt, base: baseFs,
		byOrgUnit: map[string]int{}, byID: map[string]int{}, usedIDs: map[string]bool{},
		rep: Report{Source: src.Name, BaseName: opt.BaseName, Notes: src.Notes, Skipped: append([]Problem(nil), src.Skipped...), Unmapped: append([]Problem(nil), src.Problems...), Guessed: map[registry.Type]int{}},
	}
	for i, f := range baseFs {
		if f.DHIS2OrgUnit != "" {
			if _, dup := m.byOrgUnit[f.DHIS2OrgUnit]; dup {
				m.rep.Notes = append(m.rep.Notes, fmt.Sprintf("merge file: facilities %s and %s share dhis2_org_unit %s; only the first is matched", baseFs[m.byOrgUnit[f.DHIS2OrgUnit]].ID, f.ID, f.DHIS2OrgUnit))
			} else {
				m.byOrgUnit[f.DHIS2OrgUnit] = i
			}
		}
		m.byID[f.ID] = i
		m.usedIDs[f.ID] = true
	}
	return m.run()
}

// merger holds the state of one Merge call.
type merger struct {
	src       Source
	opt       Options
	base      []registry.Facility
	byOrgUnit map[string]int // dhis2_org_unit -> index in base
	byID      map[string]int // id -> index in base
	usedIDs   map[string]bool
	rep       Report
}

// match returns the index in base of the facility c describes, or -1.
func (m *merger) match(c Candidate) int {
	if c.OrgUnit != "" {
		if i, ok := m.byOrgUnit[c.OrgUnit]; ok {
			return i
		}
	}
	if m.opt.MatchByID && c.SourceID != "" {
		if i, ok := m.byID[c.SourceID]; ok && (c.OrgUnit == "" || m.base[i].DHIS2OrgUnit == "" || m.base[i].DHIS2OrgUnit == c.OrgUnit) {
			return i
		}
	}
	return -1
}

func (m *merger) run() (*Result, error) {
	cands := m.src.Candidates
	matchOf := make([]int, len(cands))
	matched := map[int]bool{}
	for i, c := range cands {
		matchOf[i] = m.match(c)
		if j := matchOf[i]; j >= 0 {
			if matched[j] {
				m.rep.Unmapped = append(m.rep.Unmapped, Problem{Where: c.Where, Name: c.Name, OrgUnit: c.OrgUnit, ID: c.SourceID, Reason: fmt.Sprintf("describes the same merge-file facility %s as another unit; not imported", m.base[j].ID)})
				matchOf[i] = -2
				continue
			}
			matched[j] = true
		}
	}
	districts := m.resolveDistricts(cands, matchOf)
	ids := m.assignIDs(cands, matchOf)

	replaced := map[int]registry.Facility{}
	var added []registry.Facility
	for i, c := range cands {
		if matchOf[i] == -2 {
			continue
		}
		var old *registry.Facility
		if j := matchOf[i]; j >= 0 {
			old = &m.base[j]
		}
		f, err := m.build(c, old, ids[i], districts[i])
		if err == nil {
			err = f.Validate()
		}
		if err != nil && c.HasCoords {
			swapped := f
			swapped.Lat, swapped.Lon = f.Lon, f.Lat
			if swapped.Validate() == nil {
				err = fmt.Errorf("%w (lat and lon look swapped)", err)
			}
		}
		if err != nil {
			p := Problem{Where: c.Where, Name: c.Name, OrgUnit: c.OrgUnit, ID: c.SourceID, Reason: strings.ReplaceAll(err.Error(), "\n", "; ")}
			m.rep.Unmapped = append(m.rep.Unmapped, p)
			if old != nil {
				m.rep.KeptUnmapped = append(m.rep.KeptUnmapped, old.ID)
			}
			continue
		}
		m.count(c, old, f)
		m.rep.FromSource++
		if old != nil {
			m.rep.Matched++
			replaced[matchOf[i]] = f
		} else {
			added = append(added, f)
		}
	}

	out := make([]registry.Facility, 0, len(m.base)+len(added))
	for j, f := range m.base {
		if nf, ok := replaced[j]; ok {
			f = nf
		}
		out = append(out, f)
	}
	slices.SortFunc(added, func(a, b registry.Facility) int {
		return cmp.Or(cmp.Compare(a.Governorate, b.Governorate), cmp.Compare(a.District, b.District), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	out = append(out, added...)
	if len(out) == 0 {
		return nil, fmt.Errorf("no facilities to write: %s gave %d candidates, %d skipped, %d unmapped", m.src.Name, len(cands), len(m.src.Skipped), len(m.rep.Unmapped))
	}
	kept := map[string]bool{}
	for _, id := range m.rep.KeptUnmapped {
		kept[id] = true
	}
	m.rep.Diff = diff(m.base, replaced, added, m.skippedKeys(), kept)
	sortProblems(m.rep.Skipped)
	sortProblems(m.rep.Unmapped)
	return &Result{Facilities: out, Report: m.rep}, nil
}

// build completes one facility from c and the merge file's old row.
func (m *merger) build(c Candidate, old *registry.Facility, id, district string) (registry.Facility, error) {
	f := registry.Facility{
		ID: id, Name: c.Name, Beds: c.Beds,
		Governorate: c.Governorate, District: district,
		Lat: c.Lat, Lon: c.Lon, DHIS2OrgUnit: c.OrgUnit,
	}
	switch {
	case c.NameAr != "":
		f.NameAr = c.NameAr
	case old != nil && old.NameAr != "" && old.NameAr != old.Name:
		f.NameAr = old.NameAr
	default:
		f.NameAr = c.Name
	}
	if old != nil {
		f.ID, f.Type, f.Beds, f.PVkWp = old.ID, old.Type, old.Beds, old.PVkWp
		if f.DHIS2OrgUnit == "" {
			f.DHIS2OrgUnit = old.DHIS2OrgUnit
		}
	} else {
		f.Type = GuessType(c.TypeText, c.Name)
	}
	if !c.HasCoords {
		if old == nil {
			return f, fmt.Errorf("no coordinates (%s) and no row in the merge file to take them from", c.NoCoords)
		}
		f.Lat, f.Lon = old.Lat, old.Lon
	}
	if c.Governorate == "" {
		return f, fmt.Errorf("no governorate")
	}
	if f.ID == "" {
		return f, fmt.Errorf("no usable facility id: code %q and org unit %q are invalid or already used", c.SourceID, c.OrgUnit)
	}
	return f, nil
}

// count adds f to the report's name and type tallies.
func (m *merger) count(c Candidate, old *registry.Facility, f registry.Facility) {
	switch {
	case c.NameAr != "":
		m.rep.NameArSource++
	case old != nil && f.NameAr == old.NameAr && f.NameAr != f.Name:
		m.rep.NameArKept++
	case hasArabic(f.Name):
		m.rep.NameArIsName++
	default:
		m.rep.NameArMissing++
	}
	if old == nil {
		m.rep.Guessed[f.Type]++
	}
	if c.District.Key == "" && old == nil {
		m.rep.NoDistrict++
	}
}

// assignIDs chooses the id of every new facility: the source's code if it
// is a valid id that no other candidate and no facility of the merge file
// uses, else the org unit UID if that is free. Matched candidates keep the
// merge file's id (left "" here).
func (m *merger) assignIDs(cands []Candidate, matchOf []int) []string {
	codeUse := map[string]int{}
	for i, c := range cands {
		if matchOf[i] == -1 && c.SourceID != "" {
			codeUse[c.SourceID]++
		}
	}
	ids := make([]string, len(cands))
	for i, c := range cands {
		if matchOf[i] != -1 {
			continue
		}
		for _, id := range []string{c.SourceID, c.OrgUnit} {
			if id != "" && registry.IsID(id) && !m.usedIDs[id] && (id != c.SourceID || codeUse[id] == 1) {
				ids[i] = id
				m.usedIDs[id] = true
				break
			}
		}
	}
	return ids
}

// skippedKeys returns the org units and ids the source skipped on purpose,
// so that the diff can tell "closed" from "not in the source any more".
func (m *merger) skippedKeys() map[string]string {
	keys := map[string]string{}
	for _, p := range m.src.Skipped {
		if p.OrgUnit != "" {
			keys["ou:"+p.OrgUnit] = p.Reason
		}
		if p.ID != "" && m.opt.MatchByID {
			keys["id:"+p.ID] = p.Reason
		}
	}
	return keys
}

// Encode writes fs as a master facility list and checks that the bytes
// parse back: a file Encode returns always loads.
func Encode(fs []registry.Facility, name string) ([]byte, error) {
	var buf bytes.Buffer
	if err := registry.WriteCSV(&buf, fs); err != nil {
		return nil, err
	}
	if _, err := registry.Parse(bytes.NewReader(buf.Bytes()), name); err != nil {
		return nil, fmt.Errorf("the imported list does not pass registry validation (a bug in the importer): %w", err)
	}
	return buf.Bytes(), nil
}
