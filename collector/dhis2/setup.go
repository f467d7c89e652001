package dhis2

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/registry"
)

// SetupOptions say what setup creates and where.
type SetupOptions struct {
	// DataSet is the UID of the monthly data set to create or update
	// (config dhis2.data_set); empty means catalog.DefaultDataSet().
	DataSet string
	// DataElements maps an element key to the identifier of a data element
	// the ministry already has (config dhis2.data_elements). Such elements
	// are referenced, never created or changed; a key left out gets our own
	// element, created with Element.UID().
	DataElements map[string]string
	// DataElementIDScheme says how DataElements' identifiers are read:
	// "uid" (the default) or "code".
	DataElementIDScheme string
	// OrgUnits are the identifiers of the facilities' org units, which the
	// data set is assigned to. Empty identifiers (a facility without an org
	// unit) are skipped; duplicates count once.
	OrgUnits []string
	// OrgUnitIDScheme is "uid" (the default), "code" or "attribute:<UID>".
	OrgUnitIDScheme string
	// DryRun sends the import with importMode=VALIDATE only: nothing is
	// changed in DHIS2.
	DryRun bool
}

// Kind is a DHIS2 metadata type setup manages, named by its Web API
// collection (the key of the metadata import payload).
type Kind string

// The metadata types setup manages.
const (
	KindDataElement   Kind = "dataElements"
	KindIndicatorType Kind = "indicatorTypes"
	KindIndicator     Kind = "indicators"
	KindDataSet       Kind = "dataSets"
)

// setupKinds returns the kinds in the order they depend on one another,
// the order reports list them.
func setupKinds() []Kind {
	return []Kind{KindDataElement, KindIndicatorType, KindIndicator, KindDataSet}
}

// Label returns the kind for people: "data element", "indicator type", ….
func (k Kind) Label() string {
	switch k {
	case KindDataElement:
		return "data element"
	case KindIndicatorType:
		return "indicator type"
	case KindIndicator:
		return "indicator"
	case KindDataSet:
		return "data set"
	}
	return string(k)
}

// Object is one metadata object setup manages.
type Object struct {
	Kind            Kind
	UID, Code, Name string
}

// MappedElement is a pushed quantity that goes to a data element the
// ministry already has.
type MappedElement struct {
	Key        string // element key, e.g. grid_kwh
	Identifier string // as configured, in the data element ID scheme
	UID, Name  string // the data element found in DHIS2
}

// SetupReport says what a Setup created, updated and left as it was. It is
// a value: safe to share once Setup has returned.
type SetupReport struct {
	DryRun bool
	// Committed is true when the changes were imported with
	// importMode=COMMIT. When false, Created and Updated are what setup
	// would create and update (a dry run, or a refused validation).
	Committed bool
	// Created and Updated are the objects sent to DHIS2; Left are ours that
	// already held every property setup owns, so they were not sent.
	Created, Updated, Left []Object
	// Mapped are the quantities that go to the ministry's data elements.
	Mapped []MappedElement
	// OrgUnitsAssigned counts the facilities' org units found in DHIS2,
	// which the data set holds after setup; OrgUnitsAdded of them were not
	// assigned before. OrgUnitsKept counts the org units someone else
	// assigned to the data set, which setup keeps.
	OrgUnitsAssigned, OrgUnitsAdded, OrgUnitsKept int
	// OrgUnitsNotFound are the identifiers of org units DHIS2 does not
	// have, in the order given; they are not assigned.
	OrgUnitsNotFound []string
	// ValidationErrors are the errors DHIS2 reported for the import.
	ValidationErrors []ImportError
}

// Setup creates or updates, idempotently, the metadata GreenPulse pushes
// into: our data elements, two indicator types, the indicators of catalog.Ratios()
// and the monthly data set, assigned to the facilities' org units. It
// reads what exists first and imports only the objects that are new or
// whose properties setup owns differ, through POST /api/metadata: first
// importMode=VALIDATE, then, unless o.DryRun or the validation reported
// errors, importMode=COMMIT, both with importStrategy=CREATE_AND_UPDATE and
// atomicMode=ALL. When nothing differs it sends no import at all.
//
// The report is filled as far as setup got, also when it returns an error:
// a refused validation is an error wrapping a *ValidationError, a 401
// wraps dhis2api.ErrUnauthorized, and another unexpected answer is a
// *dhis2api.StatusError.
func Setup(ctx context.Context, c *dhis2api.Client, o SetupOptions) (SetupReport, error) {
	rep := SetupReport{DryRun: o.DryRun}
	o, err := o.normalised()
	if err != nil {
		return rep, fmt.Errorf("dhis2 setup: %w", err)
	}
	mapped, err := resolveMapped(ctx, c, o)
	if err != nil {
		return rep, fmt.Errorf("dhis2 setup: %w", err)
	}
	for _, e := range catalog.Elements() {
		if m, ok := mapped[e.Key]; ok {
			rep.Mapped = append(rep.Mapped, m)
		}
	}
	units, notFound, err := resolveOrgUnits(ctx, c, o.OrgUnits, o.OrgUnitIDScheme)
	if err != nil {
		return rep, fmt.Errorf("dhis2 setup: %w", err)
	}
	rep.OrgUnitsNotFound = notFound
	rep.OrgUnitsAssigned = len(units)

	want := desired(o.DataSet, mapped, units)
	have, err := readExisting(ctx, c, want)
	if err != nil {
		return rep, fmt.Errorf("dhis2 setup: %w", err)
	}
	p := plan(want, have, retiredElements(mapped))
	rep.Created, rep.Updated, rep.Left = p.created, p.updated, p.left
	rep.OrgUnitsAdded, rep.OrgUnitsKept = p.unitsAdded, p.unitsKept
	if len(p.created)+len(p.updated) == 0 {
		return rep, nil
	}

	names := p.names()
	send := func(mode string) error {
		ir, err := importMetadata(ctx, c, mode, p.payload)
		if err != nil {
			return fmt.Errorf("dhis2 setup: %w", err)
		}
		if errs := ir.named(names); len(errs) > 0 || ir.failed() {
			rep.ValidationErrors = errs
			return fmt.Errorf("dhis2 setup: %w", &ValidationError{Mode: mode, Status: ir.Status, Message: ir.Message, Errors: errs})
		}
		return nil
	}
	if err := send("VALIDATE"); err != nil {
		return rep, err
	}
	if o.DryRun {
		return rep, nil
	}
	if err := send("COMMIT"); err != nil {
		return rep, err
	}
	rep.Committed = true
	return rep, nil
}

// normalised returns o with its defaults filled in, or what is wrong with
// it: catalog's rules, which the config section checks too, so that Setup
// is safe for any caller.
func (o SetupOptions) normalised() (SetupOptions, error) {
	if o.DataSet == "" {
		o.DataSet = catalog.DefaultDataSet()
	}
	if !registry.IsDHIS2UID(o.DataSet) {
		return o, fmt.Errorf("data set %q: want a DHIS2 UID (a letter, then ten letters or digits)", o.DataSet)
	}
	if o.DataElementIDScheme == "" {
		o.DataElementIDScheme = "uid"
	}
	if err := catalog.CheckDataElementIDScheme(o.DataElementIDScheme); err != nil {
		return o, fmt.Errorf("data element ID scheme: %w", err)
	}
	if o.OrgUnitIDScheme == "" {
		o.OrgUnitIDScheme = "uid"
	}
	if err := catalog.CheckOrgUnitIDScheme(o.OrgUnitIDScheme); err != nil {
		return o, fmt.Errorf("org unit ID scheme: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(o.DataElements)) {
		if err := catalog.CheckDataElement(k, o.DataElements[k], o.DataElementIDScheme); err != nil {
			return o, fmt.Errorf("data element %q: %w", k, err)
		}
	}
	return o, nil
}

// ValidationError is DHIS2's refusal of a metadata import: the errors of
// its ImportReport, each naming the object.
type ValidationError struct {
	Mode    string // VALIDATE or COMMIT
	Status  string // the ImportReport's status, e.g. ERROR
	Message string // DHIS2's WebMessage message, if any
	Errors  []ImportError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DHIS2 refused the metadata import (importMode=%s, status %s)", e.Mode, e.Status)
	if len(e.Errors) == 0 {
		msg := e.Message
		if msg == "" {
			msg = "no error reports given"
		}
		b.WriteString(": " + msg)
		return b.String()
	}
	fmt.Fprintf(&b, " with %d error(s):", len(e.Errors))
	for _, ie := range e.Errors {
		b.WriteString("\n  " + ie.String())
	}
	return b.String()
}

// Print writes for people what setup created, updated and left, which
// data elements are the ministry's, the org units, and DHIS2's errors.
func (r SetupReport) Print(w io.Writer) {
	created, updated := "created", "updated"
	switch {
	case r.DryRun:
		fmt.Fprintln(w, "Dry run (importMode=VALIDATE): nothing was changed in DHIS2.")
		created, updated = "would create", "would update"
	case !r.Committed && len(r.Created)+len(r.Updated) > 0:
		fmt.Fprintln(w, "Nothing was changed in DHIS2.")
		created, updated = "not created", "not updated"
	case len(r.Created)+len(r.Updated) == 0:
		fmt.Fprintln(w, "DHIS2 already holds the GreenPulse metadata: nothing to change.")
	}
	// Each group lists its objects by kind, in the order of setupKinds; a
	// kind setup does not manage comes last.
	kinds := setupKinds()
	rank := func(k Kind) int {
		if i := slices.Index(kinds, k); i >= 0 {
			return i
		}
		return len(kinds)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, g := range []struct {
		verb string
		objs []Object
	}{{created, r.Created}, {updated, r.Updated}, {"left", r.Left}} {
		objs := slices.Clone(g.objs)
		slices.SortStableFunc(objs, func(a, b Object) int { return cmp.Compare(rank(a.Kind), rank(b.Kind)) })
		for _, ob := range objs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.verb, ob.Kind.Label(), ob.Name, ob.Code, ob.UID)
		}
	}
	for _, m := range r.Mapped {
		fmt.Fprintf(tw, "mapped\t%s\t%s\t%s\t%s\n", m.Key, m.Name, m.Identifier, m.UID)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "Org units: %d assigned to the data set (%d new), %d assigned by others kept, %d not found.\n",
		r.OrgUnitsAssigned, r.OrgUnitsAdded, r.OrgUnitsKept, len(r.OrgUnitsNotFound))
	if n := len(r.OrgUnitsNotFound); n > 0 {
		shown := r.OrgUnitsNotFound
		if n > 50 {
			shown = shown[:50]
		}
		fmt.Fprintf(w, "Not found in DHIS2 (not assigned): %s", strings.Join(shown, ", "))
		if n > len(shown) {
			fmt.Fprintf(w, " and %d more", n-len(shown))
		}
		fmt.Fprintln(w)
	}
	if len(r.ValidationErrors) > 0 {
		fmt.Fprintf(w, "DHIS2 reported %d error(s):\n", len(r.ValidationErrors))
		errs := append([]ImportError(nil), r.ValidationErrors...)
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Kind < errs[j].Kind })
		for _, e := range errs {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}
