package dhis2test

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// UserUID identifies the user the double's credentials log in as; E7617
// names the user by UID (2.37 named the username: Options.Username, or
// "admin" for a token).
const UserUID = "xE7jOejl9FI"

// DataValue is one stored data value, with UIDs.
type DataValue struct {
	DataElement, Period, OrgUnit, CategoryOptionCombo, AttributeOptionCombo, Value, Comment string
}

type valueKey struct{ de, pe, ou, coc, aoc string }

// storedValue is a data value with the flags DHIS2 keeps: values are
// deleted softly (data.md "Reading data values").
type storedValue struct {
	DataValue
	followUp, deleted bool
}

// dvImport is the state of one POST /api/dataValueSets.
type dvImport struct {
	s              *Server
	legacy         bool // answer as 2.37 did
	strategy       string
	dryRun         bool
	idScheme       string
	deScheme       string
	ouScheme       string
	cocScheme      string
	strictOrgUnits bool
	strictDEs      bool
	dataSet        string // UID of the payload's data set, if any
	outerPeriod    *period
	outerOU        *orgUnit
	outerOURaw     string
	outerAOC       string
	byScheme       map[string]map[string]string // scheme → identifier → UID
	conflicts      conflicts
	count          importCount
	rejected       []int
	now            time.Time
}

// postDataValueSets answers POST /api/dataValueSets (data.md "Sending
// data values", "Import parameters"), following
// DefaultDataValueSetService.importDataValueSet and
// DataValueSetImportValidator of 2.38–2.41: values are validated in
// order, a value with a conflict is skipped and counted ignored, the rest
// are imported, updated, deleted or ignored.
func (s *Server) postDataValueSets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	strategy, err := parseStrategy(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	imp := &dvImport{s: s, legacy: s.plainResponse(r), now: s.now(), strategy: strategy}
	imp.dryRun = q.Get("dryRun") == "true"
	imp.strictOrgUnits = s.opt.StrictOrganisationUnits || q.Get("strictOrganisationUnits") == "true"
	imp.strictDEs = s.opt.StrictDataElements || q.Get("strictDataElements") == "true"

	var set dataValueSet
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err == nil {
		err = json.Unmarshal(body, &set)
	}
	if err != nil {
		// The importer catches reader errors into an ERROR summary.
		s.writeSummary(w, r, imp.summary("ERROR", "The import process failed: "+err.Error()))
		return
	}
	// Id schemes: the payload's over the URL's, the specific over idScheme.
	general := cmp.Or(string(set.IDScheme), q.Get("idScheme"), "UID")
	imp.idScheme = normScheme(general)
	imp.deScheme = normScheme(cmp.Or(string(set.DataElementIDScheme), q.Get("dataElementIdScheme"), general))
	imp.ouScheme = normScheme(cmp.Or(string(set.OrgUnitIDScheme), q.Get("orgUnitIdScheme"), general))
	imp.cocScheme = normScheme(cmp.Or(q.Get("categoryOptionComboIdScheme"), general))
	if set.DryRun.set {
		imp.dryRun = set.DryRun.v
	}
	if st := strings.ToUpper(string(set.Strategy)); st == "CREATE" || st == "UPDATE" || st == "DELETE" || st == "CREATE_AND_UPDATE" {
		imp.strategy = st
	}
	if !imp.header(set) {
		s.writeSummary(w, r, imp.summary("ERROR", "Import process was aborted"))
		return
	}
	for i := range set.DataValues {
		imp.value(i, &set.DataValues[i])
	}
	status := "SUCCESS"
	if len(imp.conflicts.list) > 0 {
		status = "WARNING"
	}
	sum := imp.summary(status, "Import process completed successfully")
	sum.DataSetComplete = completion(set, imp.dataSet != "", imp.now)
	s.writeSummary(w, r, sum)
}

// header resolves the data set level identifiers and reports false when
// one is unknown, which aborts the import (abortDataSetImport).
func (imp *dvImport) header(set dataValueSet) bool {
	ok := true
	if ds := strings.TrimSpace(string(set.DataSet)); ds != "" {
		if uid := imp.lookup("dataSets", imp.idScheme, ds); uid != "" {
			imp.dataSet = uid
		} else {
			imp.conflict(dsNotFound, -1, "Data set not found or not accessible", ds)
			ok = false
		}
	}
	if ou := strings.TrimSpace(string(set.OrgUnit)); ou != "" {
		imp.outerOURaw = ou
		if imp.outerOU = imp.orgUnit(ou); imp.outerOU == nil {
			imp.conflict(dsOUNotFound, -1, "Org unit not found or not accessible", ou, imp.dataSet)
			ok = false
		}
	}
	if aoc := strings.TrimSpace(string(set.AttributeOptionCombo)); aoc != "" {
		if imp.outerAOC = imp.optionCombo(aoc); imp.outerAOC == "" {
			imp.conflict(dsAOCMissing, -1, "Attribute option combo not found or not accessible", aoc, imp.dataSet)
			ok = false
		}
	}
	if pe, valid := parsePeriod(strings.TrimSpace(string(set.Period))); valid {
		imp.outerPeriod = &pe
	}
	return ok
}

// conflict records a conflict in the shape of the version answered; for
// 2.37 the legacy message is the first argument after the kind.
func (imp *dvImport) conflict(k conflictKind, index int, legacy string, args ...string) {
	if imp.legacy {
		imp.conflicts.addLegacy(args[0], legacy)
		return
	}
	imp.conflicts.add(k, index, args...)
}

// skip counts a value that had a conflict.
func (imp *dvImport) skip(index int) {
	imp.count.Ignored++
	imp.rejected = append(imp.rejected, index)
}

// value validates and stores one data value.
func (imp *dvImport) value(i int, raw *dataValueRaw) {
	s := imp.s
	deID := strings.TrimSpace(string(raw.DataElement))
	// The data set level period and org unit, when valid, take precedence
	// over the value's own (createDataValueContext).
	ouID := cmp.Or(strings.TrimSpace(string(raw.OrgUnit)), imp.outerOURaw)
	peID := strings.TrimSpace(string(raw.Period))
	if imp.outerPeriod != nil {
		peID = imp.outerPeriod.iso
	}
	deUID := imp.lookup("dataElements", imp.deScheme, deID)
	if deUID == "" {
		imp.conflict(deNotFound, i, "Data element not found or not accessible", deID)
		imp.skip(i)
		return
	}
	de := s.objects["dataElements"][deUID]
	pe, ok := parsePeriod(peID)
	if !ok {
		imp.conflict(peNotValid, i, "Period not valid", peID)
		imp.skip(i)
		return
	}
	ou := imp.outerOU
	if ou == nil {
		ou = imp.orgUnit(ouID)
	}
	if ou == nil {
		imp.conflict(ouNotFound, i, "Organisation unit not found or not accessible", ouID)
		imp.skip(i)
		return
	}
	coc := DefaultCategoryOptionComboUID
	if id := strings.TrimSpace(string(raw.CategoryOptionCombo)); id != "" {
		if coc = imp.optionCombo(id); coc == "" {
			imp.conflict(cocNotFound, i, "Category option combo not found or not accessible for writing data", id)
			imp.skip(i)
			return
		}
	}
	aoc := cmp.Or(imp.outerAOC, DefaultCategoryOptionComboUID)
	if id := strings.TrimSpace(string(raw.AttributeOptionCombo)); id != "" && imp.outerAOC == "" {
		if aoc = imp.optionCombo(id); aoc == "" {
			imp.conflict(aocNotFound, i, "Attribute option combo not found or not accessible for writing data", id)
			imp.skip(i)
			return
		}
	}
	if !s.inHierarchy(ou) {
		imp.conflict(ouNotInUser, i, "Organisation unit not in hierarchy of current user: "+s.userName(), ouID, UserUID)
		imp.skip(i)
		return
	}
	valueType, _ := de["valueType"].(string)
	value := normalizeBoolean(strings.TrimSpace(string(raw.Value)), valueType)
	comment := strings.TrimSpace(string(raw.Comment))
	if value == "" && comment == "" && !raw.Deleted.v && imp.strategy != "DELETE" {
		if imp.legacy {
			imp.conflicts.addLegacy("Value", "Data value or comment not specified for data element: "+deUID)
		} else {
			imp.conflict(noValue, i, "", deID)
		}
		imp.skip(i)
		return
	}
	if key := valueError(value, valueType); key != "" {
		if imp.legacy {
			// 2.37 named the value itself as the object.
			imp.conflicts.addLegacy(value, i18n(key)+", must match data element type: "+deUID)
		} else {
			imp.conflicts.add(badValue, i, deID, key)
		}
		imp.skip(i)
		return
	}
	if len(comment) > valueMaxChars {
		imp.conflict(badComment, i, "comment_length_greater_than_max_length", "comment_length_greater_than_max_length")
		imp.skip(i)
		return
	}
	if imp.constraintsFail(i, deID, deUID, ouID, ou, pe, raw) {
		imp.skip(i)
		return
	}
	imp.store(i, valueKey{deUID, pe.iso, ou.ID, coc, aoc}, de, value, comment, raw)
}

// constraintsFail runs the "DataValue Constraints" checks that apply.
func (imp *dvImport) constraintsFail(i int, deID, deUID, ouID string, ou *orgUnit, pe period, raw *dataValueRaw) bool {
	s := imp.s
	sets := s.dataSetsOf[deUID]
	if imp.strictDEs {
		targets := sets
		if imp.dataSet != "" {
			targets = []string{imp.dataSet}
		}
		if !slices.ContainsFunc(targets, func(ds string) bool { return slices.Contains(sets, ds) }) {
			joined := strings.Join(targets, ",")
			imp.conflict(deStrict, i, "Data element: "+deID+" is not part of dataset: "+joined, deID, joined)
			return true
		}
	}
	if imp.strictOrgUnits && !s.unitHasDataElement(ou.ID, deUID) {
		imp.conflict(ouStrict, i, "Data element: "+deUID+" must be assigned through data sets to organisation unit: "+ou.ID, ou.ID, deID)
		return true
	}
	if len(raw.StoredBy) > 255 {
		imp.conflict(badStoredBy, i, "stored_by_length_greater_than_max_length", "stored_by_length_greater_than_max_length")
		return true
	}
	// The period checks need the data set the value is entered for: the
	// payload's, else one the data element is assigned to
	// (ImportContext.getApprovalDataSet); without one they do not apply.
	approval := imp.dataSet
	if approval == "" && len(sets) > 0 {
		approval = sets[0]
	}
	if approval == "" {
		return false
	}
	if s.locked[pe.iso] {
		imp.conflict(peExpired, i, "Current date is past expiry days for period "+pe.iso+" and data set: "+approval, pe.iso, approval)
		return true
	}
	if iso, end, ok := s.latestOpenPeriod(deUID, imp.now); ok && pe.start.After(end) {
		imp.conflict(peFuture, i, "Period: "+pe.iso+" is after latest open future period: "+iso+" for data element: "+deUID, pe.iso, deID, iso)
		return true
	}
	return false
}

// store saves, updates, deletes or ignores a valid value as
// DefaultDataValueSetService.importDataValue does.
func (imp *dvImport) store(i int, key valueKey, de map[string]any, value, comment string, raw *dataValueRaw) {
	s := imp.s
	existing := s.values[key]
	live := existing != nil && !existing.deleted
	zero := zeroInsignificant(value, de)
	if zero && (!live || imp.strategy == "CREATE") {
		// 2.38+: skipped without a count (summary.skipValue()); 2.37 took
		// it as ignored.
		if imp.legacy {
			imp.count.Ignored++
		}
		return
	}
	next := &storedValue{DataValue: DataValue{DataElement: key.de, Period: key.pe, OrgUnit: key.ou,
		CategoryOptionCombo: key.coc, AttributeOptionCombo: key.aoc, Value: value, Comment: comment},
		followUp: raw.FollowUp.v}
	switch {
	case live && (imp.strategy == "CREATE_AND_UPDATE" || imp.strategy == "UPDATE"):
		switch {
		case (value == "" && comment == "") || raw.Deleted.v || zero:
			next.deleted = true
			imp.count.Deleted++
		case !imp.legacy && existing.Value == value && existing.Comment == comment && existing.followUp == next.followUp:
			// dataValueUpdateShouldBeIgnored: an unchanged value is ignored.
			imp.count.Ignored++
			return
		default:
			imp.count.Updated++
		}
	case live && imp.strategy == "DELETE":
		next = existing
		next.deleted = true
		imp.count.Deleted++
	case live:
		imp.skip(i)
		return
	case imp.strategy == "CREATE_AND_UPDATE" || imp.strategy == "CREATE":
		if value == "" && comment == "" {
			imp.count.Ignored++
			return
		}
		imp.count.Imported++
	default:
		imp.skip(i)
		return
	}
	if !imp.dryRun {
		s.values[key] = next
	}
}

// summary builds the import summary of this import.
func (imp *dvImport) summary(status, description string) importSummary {
	opts := &importOptions{DryRun: imp.dryRun, PreheatCache: true, ImportStrategy: imp.strategy, MergeMode: "REPLACE",
		ReportMode: "FULL", FirstRowIsHeader: true, StrictOrganisationUnits: imp.strictOrgUnits, StrictDataElements: imp.strictDEs}
	sum := importSummary{ResponseType: "ImportSummary", Status: status, ImportOptions: opts, Description: description,
		ImportCount: imp.count, Conflicts: imp.conflicts.list, DataSetComplete: "false"}
	if sum.Conflicts == nil {
		sum.Conflicts = []*conflict{}
	}
	rejected := append([]int{}, imp.rejected...)
	sum.RejectedIndexes = &rejected
	return sum
}

// completion is the summary's dataSetComplete: the completion date when a
// data set and a completeDate were given ("true" meaning today, a future
// date clamped to today), else "false" (getCompletionDate, handleComplete).
func completion(set dataValueSet, hasDataSet bool, now time.Time) string {
	cd := strings.TrimSpace(string(set.CompleteDate))
	if !hasDataSet || cd == "" || strings.EqualFold(cd, "false") {
		return "false"
	}
	today := now.Format("2006-01-02")
	if strings.EqualFold(cd, "true") {
		return today
	}
	d, err := time.Parse("2006-01-02", cd[:min(len(cd), 10)])
	if err != nil {
		return "false"
	}
	if d.Format("2006-01-02") > today {
		return today
	}
	return d.Format("2006-01-02")
}
