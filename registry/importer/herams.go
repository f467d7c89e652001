package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/greenpulse-health/greenpulse/registry"
)

// This file reads a WHO HeRAMS facility export (CSV). HeRAMS names its
// columns by question code, and deployments differ in which codes they use
// (an Iraq export: MoSD1 code, MoSD2en / MoSD2ar names, MoSD3 type, MoSD4
// status, HFFUNCT functionality, GEO1 … administrative areas,
// MoSDGPS_SQ001 / MoSDGPS_SQ002 latitude and longitude), so every column is
// a mapping with a default.

// heramsField is one facility attribute and its default export column.
type heramsField struct {
	key, def, help string
	required       bool
}

// heramsFields are the attributes a HeRAMS import reads, in the order the
// usage text lists them.
var heramsFields = []heramsField{
	{"id", "MoSD1", "the facility's HeRAMS code, written as its id", true},
	{"name", "MoSD2en", "name (English)", true},
	{"name_ar", "MoSD2ar", "name in Arabic", false},
	{"type", "MoSD3", "facility type, to guess hospital/phc/other from", false},
	{"status", "MoSD4", "status: closed, destroyed … rows are skipped", false},
	{"functionality", "HFFUNCT", "functionality: non-functioning rows are skipped", false},
	{"governorate", "GEO1", "governorate name or ISO code", true},
	{"district", "GEO2", "district name", false},
	{"lat", "MoSDGPS_SQ001", "latitude, decimal degrees", true},
	{"lon", "MoSDGPS_SQ002", "longitude, decimal degrees", true},
	{"beds", "", "number of beds", false},
	{"org_unit", "", "DHIS2 org unit UID", false},
}

// HeRAMSColumns maps facility attributes to the export's column names. The
// zero value is not useful; use ParseHeRAMSColumns.
type HeRAMSColumns struct {
	cols     map[string]string
	explicit map[string]bool
}

// DescribeHeRAMSColumns lists the attributes, their default columns and
// what they mean, one per line, for usage text.
func DescribeHeRAMSColumns() string {
	var b strings.Builder
	for _, f := range heramsFields {
		def, req := f.def, ""
		if def == "" {
			def = "(none)"
		}
		if f.required {
			req = ", required"
		}
		fmt.Fprintf(&b, "  %-13s default %-14s %s%s\n", f.key, def, f.help, req)
	}
	return b.String()
}

// ParseHeRAMSColumns reads a mapping such as "id=MoSD1,name=MoSD2en" over
// the defaults. "key=" unmaps an optional attribute.
func ParseHeRAMSColumns(spec string) (HeRAMSColumns, error) {
	c := HeRAMSColumns{cols: map[string]string{}, explicit: map[string]bool{}}
	known := map[string]heramsField{}
	for _, f := range heramsFields {
		known[f.key] = f
		if f.def != "" {
			c.cols[f.key] = f.def
		}
	}
	for _, part := range strings.Split(spec, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		f, isKnown := known[k]
		switch {
		case !ok:
			return c, fmt.Errorf("columns: %q: want key=column", part)
		case !isKnown:
			return c, fmt.Errorf("columns: unknown key %q; the keys are id, name, name_ar, type, status, functionality, governorate, district, lat, lon, beds, org_unit", k)
		case v == "" && f.required:
			return c, fmt.Errorf("columns: %s is required and cannot be unmapped", k)
		case v == "":
			delete(c.cols, k)
		default:
			c.cols[k], c.explicit[k] = v, true
		}
	}
	return c, nil
}

// HeRAMSOptions say how ReadHeRAMS reads an export.
type HeRAMSOptions struct {
	Columns HeRAMSColumns
	// Delimiter is ',' or ';' (or '\t'); 0 picks the one the header line
	// uses most.
	Delimiter rune
	// Governorates maps a governorate value of the export to an ISO code,
	// over any match by name.
	Governorates map[string]string
}

// maxHeRAMSBytes bounds the export held in memory.
const maxHeRAMSBytes = 512 << 20

// ReadHeRAMS reads a HeRAMS export from r; name is used in messages. Every
// row becomes a candidate, a skipped row (closed, destroyed, not
// functioning) or a problem naming its line and column. It fails only if
// the file cannot be read or its header lacks a mapped column; the error
// then names line 1.
func ReadHeRAMS(r io.Reader, name string, opt HeRAMSOptions, gm *GovernorateMatcher) (Source, error) {
	src := Source{Name: "HeRAMS"}
	data, err := io.ReadAll(io.LimitReader(r, maxHeRAMSBytes+1))
	if err != nil {
		return src, fmt.Errorf("%s:1: read: %w", name, err)
	}
	if len(data) > maxHeRAMSBytes {
		return src, fmt.Errorf("%s:1: larger than %d MiB", name, maxHeRAMSBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = opt.Delimiter
	if cr.Comma == 0 {
		cr.Comma = sniffDelimiter(data)
	}
	cr.FieldsPerRecord = -1
	hdr, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return src, fmt.Errorf("%s:1: empty file", name)
	}
	if err != nil {
		return src, fmt.Errorf("%s:1: header: %w", name, err)
	}
	idx, notes, err := mapHeader(hdr, opt.Columns)
	if err != nil {
		return src, fmt.Errorf("%s:1: %w", name, err)
	}
	src.Notes = append(src.Notes, fmt.Sprintf("HeRAMS export %s: %d columns, delimiter %q", name, len(hdr), cr.Comma))
	src.Notes = append(src.Notes, notes...)

	rd := heramsReader{name: name, hdr: hdr, idx: idx, opt: opt, gm: gm, src: &src, seen: map[string]int{}, govs: map[string]string{}}
	for {
		before := cr.InputOffset()
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return src, fmt.Errorf("%s:1: read: %w", name, err)
			}
			src.Problems = append(src.Problems, Problem{Where: fmt.Sprintf("%s:%d", name, pe.Line), Line: pe.Line,
				Reason: fmt.Sprintf("character %d: %v; row not imported", pe.Column, pe.Err)})
			if cr.InputOffset() == before {
				break // no progress: the rest cannot be read
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		rd.row(line, rec)
	}
	for _, v := range sortedKeys(rd.govs) {
		code := rd.govs[v]
		if code == "" {
			code = "UNKNOWN — add --governorates \"" + v + "=IQ-XX\""
		}
		src.Notes = append(src.Notes, fmt.Sprintf("  governorate %q: %s", v, code))
	}
	return src, nil
}

// sniffDelimiter returns ';' or '\t' when the first line holds more of it
// than of ',', else ','.
func sniffDelimiter(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(first, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if c := bytes.Count(first, []byte(string(d))); c > n {
			best, n = d, c
		}
	}
	return best
}

// mapHeader finds each mapped column in the header: exactly, else ignoring
// case. A mapped column that appears more than once, or that matches more
// than one column ignoring case, is an error: either would pick one of them
// at random. A default optional column that is missing is left out, with a
// note.
func mapHeader(hdr []string, cols HeRAMSColumns) (map[string]int, []string, error) {
	pos := map[string]int{} // trimmed name -> its first column
	dup := map[string]bool{}
	for i, h := range hdr {
		h = strings.TrimSpace(h)
		if _, seen := pos[h]; seen {
			dup[h] = true
			continue
		}
		pos[h] = i
	}
	idx := map[string]int{}
	var notes []string
	for _, f := range heramsFields {
		col, ok := cols.cols[f.key]
		if !ok {
			continue
		}
		name := col
		i, found := pos[col]
		if !found {
			for j, h := range hdr {
				h = strings.TrimSpace(h)
				if pos[h] != j || !strings.EqualFold(h, col) {
					continue // a repeat of an earlier column, or another name
				}
				if found {
					return nil, nil, fmt.Errorf("header: columns %q and %q both match %q (for %s) ignoring case; map one with --columns %s=<column>", name, h, col, f.key, f.key)
				}
				name, i, found = h, j, true
			}
		}
		switch {
		case found && dup[name]:
			return nil, nil, fmt.Errorf("header: column %q (for %s) appears more than once", name, f.key)
		case found:
			idx[f.key] = i
		case f.required || cols.explicit[f.key]:
			return nil, nil, fmt.Errorf("header: no column %q (for %s); map it with --columns %s=<column>; the header has %s", col, f.key, f.key, preview(hdr))
		default:
			notes = append(notes, fmt.Sprintf("column %s: default %q is not in the file; not read", f.key, col))
		}
	}
	return idx, notes, nil
}

// preview lists the first columns of a header.
func preview(hdr []string) string {
	if len(hdr) > 12 {
		return strings.Join(hdr[:12], ", ") + fmt.Sprintf(", … (%d columns)", len(hdr))
	}
	return strings.Join(hdr, ", ")
}

// heramsReader holds the state of one ReadHeRAMS call.
type heramsReader struct {
	name string
	hdr  []string
	idx  map[string]int
	opt  HeRAMSOptions
	gm   *GovernorateMatcher
	src  *Source
	seen map[string]int    // id -> first line
	govs map[string]string // governorate value -> code ("" unknown)
}

// row turns one record into a candidate, a skipped row or a problem.
func (rd *heramsReader) row(line int, rec []string) {
	where := fmt.Sprintf("%s:%d", rd.name, line)
	if len(rec) != len(rd.hdr) {
		rd.src.Problems = append(rd.src.Problems, Problem{Where: where, Line: line,
			Reason: fmt.Sprintf("want %d fields like the header, got %d; row not imported", len(rd.hdr), len(rec))})
		return
	}
	get := func(key string) string {
		if i, ok := rd.idx[key]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var bad []string
	fail := func(key, format string, args ...any) {
		bad = append(bad, fmt.Sprintf("column %s (%s): %s", key, rd.hdr[rd.idx[key]], fmt.Sprintf(format, args...)))
	}
	id, name := get("id"), get("name")
	if name == "" {
		name = get("name_ar")
	}
	p := Problem{Where: where, Line: line, Name: name, ID: id, OrgUnit: get("org_unit")}
	if v := get("status"); v != "" && closedStatus(v) {
		p.Reason = fmt.Sprintf("status %q", v)
		rd.src.Skipped = append(rd.src.Skipped, p)
		return
	}
	if v := get("functionality"); v != "" && notFunctioning(v) {
		p.Reason = fmt.Sprintf("functionality %q", v)
		rd.src.Skipped = append(rd.src.Skipped, p)
		return
	}

	switch first, dup := rd.seen[id]; {
	case id == "":
		fail("id", "empty")
	case !registry.IsID(id):
		fail("id", "want 1 to 64 letters, digits, '_' or '-', got %q", id)
	case dup:
		fail("id", "%q repeats line %d", id, first)
	default:
		rd.seen[id] = line
	}
	if name == "" || strings.ContainsFunc(name, unicode.IsControl) {
		fail("name", "want a name without control characters, got %q", name)
	}
	nameAr := get("name_ar")
	if strings.ContainsFunc(nameAr, unicode.IsControl) {
		fail("name_ar", "want no control characters, got %q", nameAr)
	}
	gov := rd.governorate(get("governorate"))
	if gov == "" {
		fail("governorate", "%q matches no governorate", get("governorate"))
	}
	c := Candidate{Where: where, SourceID: id, OrgUnit: p.OrgUnit, Name: name, NameAr: nameAr, TypeText: get("type"), Governorate: gov}
	if c.OrgUnit != "" && !registry.IsDHIS2UID(c.OrgUnit) {
		fail("org_unit", "want a DHIS2 UID, got %q", c.OrgUnit)
	}
	if d := get("district"); d != "" {
		key := nameKey(d)
		if key == "" {
			key = strings.ToLower(d)
		}
		c.District = District{Key: key, Name: d, Derived: derivedDistrictCode(gov, d)}
	}
	if v := get("beds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fail("beds", "want a whole number ≥ 0, got %q", v)
		}
		c.Beds = max(n, 0)
	}
	lat, latOK, latErr := coordinate(get("lat"))
	lon, lonOK, lonErr := coordinate(get("lon"))
	if latErr != "" {
		fail("lat", "%s", latErr)
	}
	if lonErr != "" {
		fail("lon", "%s", lonErr)
	}
	c.Lat, c.Lon, c.HasCoords = lat, lon, latOK && lonOK
	if !c.HasCoords {
		c.NoCoords = "lat or lon is empty in the export"
	}
	if len(bad) > 0 {
		p.Reason = strings.Join(bad, "; ") + "; row not imported"
		rd.src.Problems = append(rd.src.Problems, p)
		return
	}
	rd.src.Candidates = append(rd.src.Candidates, c)
}

// governorate resolves a governorate value: an override, an ISO code, or
// a name (either half of "English / Arabic").
func (rd *heramsReader) governorate(v string) string {
	if v == "" {
		return ""
	}
	if code, seen := rd.govs[v]; seen {
		return code
	}
	code := rd.opt.Governorates[nameKey(v)]
	if code == "" {
		code = rd.gm.LookupCode(v)
	}
	if code == "" {
		code, _ = rd.gm.LookupName(append([]string{v}, strings.Split(v, "/")...)...)
	}
	if len(rd.govs) < 1000 { // bounds the notes for a file of nonsense
		rd.govs[v] = code
	}
	return code
}

// coordinate parses a decimal degree, accepting a decimal comma ("33,21").
func coordinate(s string) (v float64, ok bool, problem string) {
	if s == "" {
		return 0, false, ""
	}
	t := s
	if !strings.Contains(t, ".") && strings.Count(t, ",") == 1 {
		t = strings.Replace(t, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Sprintf("want a number of degrees, got %q", s)
	}
	return v, true, ""
}

// closedWords and notFunctioningWords are the status and functionality
// values (compared by their words) that mean a facility is not serving.
var (
	closedWords         = []string{"closed", "destroyed", "abandoned", "non existent", "nonexistent", "not existing", "does not exist", "no longer exists", "مغلق", "مغلقه", "مدمر", "مدمره"}
	notFunctioningWords = []string{"non functioning", "not functioning", "non functional", "not functional", "nonfunctional", "nonfunctioning", "غير عامل", "غير فعال", "متوقف"}
)

// closedStatus reports whether a status value says closed or destroyed.
func closedStatus(v string) bool { return hasPhrase(v, closedWords) }

// notFunctioning reports whether a functionality value says the facility
// does not function.
func notFunctioning(v string) bool { return hasPhrase(v, notFunctioningWords) }

// hasPhrase reports whether v holds one of phrases as whole words.
func hasPhrase(v string, phrases []string) bool {
	norm := " " + strings.Join(nameWords(v), " ") + " "
	for _, ph := range phrases {
		if strings.Contains(norm, " "+strings.Join(nameWords(ph), " ")+" ") {
			return true
		}
	}
	return false
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
