package importer

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/greenpulse-health/greenpulse/registry"
)

// Diff compares the written list with the merge file.
type Diff struct {
	Added   []registry.Facility
	Changed []Change
	// NotInSource are merge-file facilities the source no longer has;
	// Closed the ones it has closed. Both are kept in the written list.
	NotInSource []registry.Facility
	Closed      []ClosedFacility
	Unchanged   int
}

// Change is one merge-file facility whose row the import changed.
type Change struct {
	ID, Name string
	Columns  []ColumnChange
}

// ColumnChange is one changed column of a facility.
type ColumnChange struct{ Column, Old, New string }

// ClosedFacility is a merge-file facility that the source marks closed.
type ClosedFacility struct {
	registry.Facility
	Reason string
}

// diff compares base with the facilities that replaced some of its rows
// and the added ones.
func diff(base []registry.Facility, replaced map[int]registry.Facility, added []registry.Facility, skipped map[string]string, kept map[string]bool) Diff {
	d := Diff{Added: added}
	for j, old := range base {
		nf, ok := replaced[j]
		switch {
		case ok:
			if cols := columnChanges(old, nf); len(cols) > 0 {
				d.Changed = append(d.Changed, Change{ID: old.ID, Name: nf.Name, Columns: cols})
			} else {
				d.Unchanged++
			}
		case kept[old.ID]:
			d.Unchanged++ // listed among the unmapped units instead
		case skipped["ou:"+old.DHIS2OrgUnit] != "" && old.DHIS2OrgUnit != "":
			d.Closed = append(d.Closed, ClosedFacility{old, skipped["ou:"+old.DHIS2OrgUnit]})
		case skipped["id:"+old.ID] != "":
			d.Closed = append(d.Closed, ClosedFacility{old, skipped["id:"+old.ID]})
		default:
			d.NotInSource = append(d.NotInSource, old)
		}
	}
	return d
}

// columnChanges lists the columns in which a and b differ, in file order.
func columnChanges(a, b registry.Facility) []ColumnChange {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	pairs := [...][3]string{
		{"name", a.Name, b.Name},
		{"name_ar", a.NameAr, b.NameAr},
		{"type", string(a.Type), string(b.Type)},
		{"beds", strconv.Itoa(a.Beds), strconv.Itoa(b.Beds)},
		{"governorate", a.Governorate, b.Governorate},
		{"district", a.District, b.District},
		{"lat", num(a.Lat), num(b.Lat)},
		{"lon", num(a.Lon), num(b.Lon)},
		{"pv_kwp", num(a.PVkWp), num(b.PVkWp)},
		{"dhis2_org_unit", a.DHIS2OrgUnit, b.DHIS2OrgUnit},
	}
	var out []ColumnChange
	for _, p := range pairs {
		if p[1] != p[2] {
			out = append(out, ColumnChange{p[0], p[1], p[2]})
		}
	}
	return out
}

// WriteReport prints the report for a person: what was read, what was
// written, every unit that was skipped or could not be mapped, and the
// diff against the merge file. out is the written file's name.
func (r *Result) WriteReport(w io.Writer, out string) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format+"\n", args...) }
	rep := r.Report
	for _, n := range rep.Notes {
		p("%s", n)
	}
	p("")
	p("wrote %d facilities to %s: %d from %s (%d matched in the merge file, %d new), %d kept from the merge file",
		len(r.Facilities), out, rep.FromSource, rep.Source, rep.Matched, rep.FromSource-rep.Matched, len(r.Facilities)-rep.FromSource)
	p("arabic names: %d from %s, %d kept from the merge file, %d names already in Arabic, %d lack an Arabic name (name_ar = name)",
		rep.NameArSource, rep.Source, rep.NameArKept, rep.NameArIsName, rep.NameArMissing)
	if n := rep.Guessed[registry.TypeHospital] + rep.Guessed[registry.TypePHC] + rep.Guessed[registry.TypeOther]; n > 0 {
		p("type of %d new facilities guessed from the name: %d hospital, %d phc, %d other (beds 0, pv_kwp 0: fill them in)",
			n, rep.Guessed[registry.TypeHospital], rep.Guessed[registry.TypePHC], rep.Guessed[registry.TypeOther])
	}
	if rep.NoDistrict > 0 {
		p("district: %d new facilities had none and got <governorate letters>-UNKNOWN", rep.NoDistrict)
	}
	list := func(title string, ps []Problem) {
		p("")
		p("%s: %d", title, len(ps))
		for _, x := range ps {
			p("  %s", x)
		}
	}
	list("skipped (closed or not functioning)", rep.Skipped)
	list("not imported (could not be mapped)", rep.Unmapped)
	if len(rep.KeptUnmapped) > 0 {
		p("  of these, kept as they were in the merge file: %s", strings.Join(rep.KeptUnmapped, ", "))
	}

	d := rep.Diff
	p("")
	if rep.BaseName == "" {
		p("no merge file: all %d facilities are new", len(d.Added))
		return bw.Flush()
	}
	p("diff against %s: %d added, %d changed, %d not in %s any more (kept), %d closed in %s (kept), %d unchanged",
		rep.BaseName, len(d.Added), len(d.Changed), len(d.NotInSource), rep.Source, len(d.Closed), rep.Source, d.Unchanged)
	for _, f := range d.Added {
		p("  + %s %q %s %s (%s)", f.ID, f.Name, f.Governorate, f.District, f.Type)
	}
	for _, c := range d.Changed {
		parts := make([]string, len(c.Columns))
		for i, cc := range c.Columns {
			parts[i] = fmt.Sprintf("%s %q → %q", cc.Column, cc.Old, cc.New)
		}
		p("  ~ %s %q: %s", c.ID, c.Name, strings.Join(parts, "; "))
	}
	for _, f := range d.NotInSource {
		p("  ? %s %q (dhis2_org_unit %q): not in %s any more; kept", f.ID, f.Name, f.DHIS2OrgUnit, rep.Source)
	}
	for _, f := range d.Closed {
		p("  - %s %q: %s in %s; kept — delete its row if it no longer reports", f.ID, f.Name, f.Reason, rep.Source)
	}
	return bw.Flush()
}

// sortProblems orders problems by where they were found, for a stable
// report.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Where, b.Where)
	})
}
