// Package registry loads and validates the master facility list: the CSV file
// that names every health facility GreenPulse monitors, where it is, and how
// much solar capacity it has.
//
// The file has the header
//
//	id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit
//
// Parse checks every row and reports every bad one, each error naming the
// file, the line and the column, so that a whole list can be fixed in one
// pass.
package registry

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Type is the kind of a facility.
type Type string

// The facility types a master list may use.
const (
	TypeHospital Type = "hospital"
	TypePHC      Type = "phc" // primary health care centre
	TypeOther    Type = "other"
)

// Facility is one row of the master facility list.
type Facility struct {
	ID, Name, NameAr string
	Type             Type
	Beds             int
	Governorate      string // ISO 3166-2:IQ code, e.g. "IQ-BG"
	District         string // district code, unique in the file, belongs to exactly one governorate
	Lat, Lon, PVkWp  float64
	DHIS2OrgUnit     string // optional
}

// Governorate is a first-level subdivision of Iraq with its ISO 3166-2:IQ
// code and an approximate bounding box in degrees.
type Governorate struct {
	Code, Name, NameAr             string
	MinLat, MaxLat, MinLon, MaxLon float64
}

// header is the exact header line a master list must start with.
var header = [...]string{"id", "name", "name_ar", "type", "beds", "governorate", "district", "lat", "lon", "pv_kwp", "dhis2_org_unit"}

// Registry is a validated master facility list. It is immutable after Parse
// and safe for concurrent use.
type Registry struct {
	facilities []Facility
	byID       map[string]int
}

// Load reads and validates the master facility list at path.
func Load(path string) (*Registry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open facility list: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads and validates a master facility list from r; name is used in
// error messages. It checks every row and returns all problems found, joined
// with errors.Join, or a Registry if there are none.
func Parse(r io.Reader, name string) (*Registry, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3) // cannot fail: the bytes were peeked
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = false

	hdr, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: no facilities: empty file", name)
	}
	if err != nil && !errors.Is(err, csv.ErrFieldCount) {
		return nil, fmt.Errorf("%s: header: %w", name, csvErr(err))
	}
	if errs := checkHeader(hdr); len(errs) > 0 {
		for i, e := range errs {
			errs[i] = fmt.Errorf("%s:1: header: %w", name, e)
		}
		return nil, errors.Join(errs...)
	}

	p := parser{name: name, seenID: map[string]int{}, districtAt: map[string]districtUse{}}
	reg := &Registry{byID: map[string]int{}}
	for {
		before := cr.InputOffset()
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount) {
				if isBlank(rec) {
					continue
				}
				p.errs = append(p.errs, fmt.Errorf("%s:%d: want %d fields, got %d", name, pe.StartLine, len(header), len(rec)))
			} else if errors.As(err, &pe) {
				p.errs = append(p.errs, fmt.Errorf("%s:%d: column %d: %w", name, pe.Line, pe.Column, pe.Err))
			} else {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			if cr.InputOffset() == before {
				break // no progress; the reader cannot go on
			}
			continue
		}
		line, _ := cr.FieldPos(0) // safe: a record without error has all its fields
		if f, ok := p.row(line, rec); ok {
			reg.byID[f.ID] = len(reg.facilities)
			reg.facilities = append(reg.facilities, f)
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if len(reg.facilities) == 0 {
		return nil, fmt.Errorf("%s: no facilities", name)
	}
	return reg, nil
}

// csvErr strips the position from a csv.ParseError, which callers report in
// their own form.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// isBlank reports whether a record is a line holding only white space, which
// a master list may end with.
func isBlank(rec []string) bool {
	return len(rec) == 1 && strings.TrimSpace(rec[0]) == ""
}

// checkHeader names every missing, extra or misplaced column.
func checkHeader(got []string) []error {
	want := map[string]bool{}
	for _, h := range header {
		want[h] = true
	}
	have := map[string]bool{}
	var errs []error
	for _, h := range got {
		have[h] = true
		if !want[h] {
			errs = append(errs, fmt.Errorf("unexpected column %q", h))
		}
	}
	for _, h := range header {
		if !have[h] {
			errs = append(errs, fmt.Errorf("missing column %q", h))
		}
	}
	if len(errs) == 0 && strings.Join(got, ",") != strings.Join(header[:], ",") {
		errs = append(errs, fmt.Errorf("columns out of order: want %s", strings.Join(header[:], ",")))
	}
	return errs
}

// Lookup returns the facility with the given id.
func (r *Registry) Lookup(id string) (Facility, bool) {
	i, ok := r.byID[id]
	if !ok {
		return Facility{}, false
	}
	return r.facilities[i], true
}

// Facilities returns a copy of all facilities in file order.
func (r *Registry) Facilities() []Facility {
	return append([]Facility(nil), r.facilities...)
}

// IDs returns every facility's id in file order.
func (r *Registry) IDs() []string {
	ids := make([]string, len(r.facilities))
	for i, f := range r.facilities {
		ids[i] = f.ID
	}
	return ids
}

// Len returns the number of facilities.
func (r *Registry) Len() int { return len(r.facilities) }
