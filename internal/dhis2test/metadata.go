package dhis2test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// kind is one metadata type the double stores.
type kind struct {
	plural   string // the collection name and endpoint, e.g. "dataElements"
	singular string // the Java simple class name, e.g. "DataElement"
	klass    string // the Java class in import reports
}

// metadataKinds in DHIS2's import order: the metadata importer imports
// indicator types before indicators and data elements before data sets.
var metadataKinds = []kind{
	{"dataElements", "DataElement", "org.hisp.dhis.dataelement.DataElement"},
	{"indicatorTypes", "IndicatorType", "org.hisp.dhis.indicator.IndicatorType"},
	{"indicators", "Indicator", "org.hisp.dhis.indicator.Indicator"},
	{"dataSets", "DataSet", "org.hisp.dhis.dataset.DataSet"},
}

func kindByPlural(p string) *kind {
	for i := range metadataKinds {
		if metadataKinds[i].plural == p {
			return &metadataKinds[i]
		}
	}
	return nil
}

// DefaultCategoryComboUID is the UID of DHIS2's "default" category combo,
// the same on every instance; DefaultCategoryOptionComboUID is its one
// category option combo.
const (
	DefaultCategoryComboUID       = "bjDvmb4bfuf"
	DefaultCategoryOptionComboUID = "HllvX50cXC0"
)

// getMetadataList answers GET /api/<plural>[/uid] for the imported
// metadata, with the list parameters of metadata.md ("Browsing the Web
// API", "Metadata object filter", "Metadata field filter").
func (s *Server) getMetadataList(w http.ResponseWriter, r *http.Request, k *kind, uid string) {
	lq, err := parseListQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	resolve := s.resolver(lq.locale)
	stored := s.objects[k.plural]
	if uid != "" {
		obj, ok := stored[uid]
		if !ok {
			// WebMessageUtils.notFound(klass, id).
			writeError(w, http.StatusNotFound, fmt.Sprintf("%s with id %s could not be found.", k.singular, uid))
			return
		}
		writeJSON(w, http.StatusOK, selectFields(obj, lq.fields, resolve))
		return
	}
	objs := make([]map[string]any, 0, len(stored))
	for _, o := range stored {
		objs = append(objs, o)
	}
	s.writeList(w, r, lq, k.plural, objs, func(o map[string]any) map[string]any {
		return selectFields(o, lq.fields, resolve)
	})
}

// importParams are the query parameters of POST /api/metadata that the
// double honours (metadata.md "Metadata import" parameter table).
type importParams struct {
	validate bool   // importMode=VALIDATE
	strategy string // CREATE_AND_UPDATE, CREATE, UPDATE or DELETE
}

// parseStrategy returns the importStrategy parameter of the metadata and
// the data value import: CREATE_AND_UPDATE, CREATE, UPDATE or DELETE,
// CREATE_AND_UPDATE when absent. An unknown one is an error whose text is
// the message DHIS2 answers it with (HTTP 400).
func parseStrategy(q url.Values) (string, error) {
	switch st := strings.ToUpper(q.Get("importStrategy")); st {
	case "":
		return "CREATE_AND_UPDATE", nil
	case "CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE":
		return st, nil
	}
	return "", fmt.Errorf("Value %s is not a valid importStrategy.", q.Get("importStrategy"))
}

// stats is the Stats object of import reports.
type stats struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
	Ignored int `json:"ignored"`
	Total   int `json:"total"`
}

func (a *stats) add(b stats) {
	a.Created += b.Created
	a.Updated += b.Updated
	a.Deleted += b.Deleted
	a.Ignored += b.Ignored
	a.Total += b.Total
}

// errorReport is feedback.ErrorReport as Jackson writes it.
type errorReport struct {
	Message         string   `json:"message"`
	MainKlass       string   `json:"mainKlass"`
	ErrorCode       string   `json:"errorCode"`
	MainID          string   `json:"mainId,omitempty"`
	ErrorProperty   string   `json:"errorProperty,omitempty"`
	ErrorProperties []string `json:"errorProperties"`
}

// objectReport is feedback.ObjectReport: one object that had errors.
type objectReport struct {
	Klass        string        `json:"klass"`
	Index        int           `json:"index"`
	UID          string        `json:"uid,omitempty"`
	DisplayName  string        `json:"displayName,omitempty"`
	ErrorReports []errorReport `json:"errorReports"`
}

// typeReport is feedback.TypeReport: one metadata type of the payload.
type typeReport struct {
	Klass         string         `json:"klass"`
	Stats         stats          `json:"stats"`
	ObjectReports []objectReport `json:"objectReports"`
}

// importReport is dxf2.metadata.feedback.ImportReport. From 2.38 it is a
// WebMessageResponse with responseType "ImportReport"; before, and for
// API versions below 38, /api/metadata answered it bare
// (MetadataImportExportController: importReport(report)
// .withPlainResponseBefore(DhisApiVersion.V38)).
type importReport struct {
	ResponseType string       `json:"responseType,omitempty"`
	Status       string       `json:"status"`
	Stats        stats        `json:"stats"`
	TypeReports  []typeReport `json:"typeReports"`
}

// postMetadata answers POST /api/metadata with atomicMode ALL: when any
// object has an error nothing is stored, the report's status is ERROR and
// every object counts as ignored.
func (s *Server) postMetadata(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	strategy, err := parseStrategy(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p := importParams{validate: strings.EqualFold(q.Get("importMode"), "VALIDATE"), strategy: strategy}
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody)).Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "Failed to read the metadata payload: "+err.Error())
		return
	}
	payload := map[string][]map[string]any{}
	for _, k := range metadataKinds {
		body, ok := raw[k.plural]
		if !ok {
			continue
		}
		var objs []map[string]any
		if err := json.Unmarshal(body, &objs); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Failed to read %s: %v", k.plural, err))
			return
		}
		for i := range objs {
			if objs[i] == nil {
				objs[i] = map[string]any{}
			}
		}
		payload[k.plural] = objs
	}

	rep := s.importMetadata(payload, p)
	if s.plainResponse(r) {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	rep.ResponseType = "ImportReport"
	if rep.Status == "OK" {
		writeMessage(w, webMessage{HTTPStatus: "OK", HTTPStatusCode: http.StatusOK, Status: "OK", Response: rep})
		return
	}
	// WebMessageUtils.importReport: a report that is not OK is sent as
	// 409 with WebMessage status WARNING. 2.38 spelled the message "One
	// more more errors …", later versions "One or more errors …"
	// (asserted in dhis2-core's TranslationsControllerTest).
	msg := "One or more errors occurred, please see full details in import report."
	if s.minor == 38 {
		msg = "One more more errors occurred, please see full details in import report."
	}
	m := newMessage(http.StatusConflict, "WARNING", msg)
	m.Response = rep
	writeMessage(w, m)
}

// plainResponse reports whether the answer goes without the WebMessage
// wrapper: servers below 2.38, or a request to /api/<v>/… with v < 38.
func (s *Server) plainResponse(r *http.Request) bool {
	if s.minor < 38 {
		return true
	}
	m := apiPath.FindStringSubmatch(r.URL.Path)
	return m != nil && m[1] != "" && m[1] < "38"
}

// importMetadata validates the payload and, unless it is invalid or the
// mode is VALIDATE, stores it; the caller holds s.mu.
func (s *Server) importMetadata(payload map[string][]map[string]any, p importParams) importReport {
	rep := importReport{Status: "OK", TypeReports: []typeReport{}}
	for _, objs := range payload {
		for _, o := range objs {
			if id, _ := o["id"].(string); id == "" {
				o["id"] = s.newUID()
			}
		}
	}
	v := newValidation(s, payload, p)
	failed := false
	for _, k := range metadataKinds {
		objs, ok := payload[k.plural]
		if !ok {
			continue
		}
		tr := typeReport{Klass: k.klass, ObjectReports: []objectReport{}}
		for i, o := range objs {
			if errs := v.check(&k, o); len(errs) > 0 {
				name, _ := o["name"].(string)
				uid, _ := o["id"].(string)
				tr.ObjectReports = append(tr.ObjectReports, objectReport{Klass: k.klass, Index: i, UID: uid, DisplayName: name, ErrorReports: errs})
				failed = true
			}
		}
		rep.TypeReports = append(rep.TypeReports, tr)
	}
	switch {
	case failed:
		// atomicMode=ALL: every object of the payload is ignored.
		rep.Status = "ERROR"
		for i := range rep.TypeReports {
			n := len(payload[metadataKindByKlass(rep.TypeReports[i].Klass).plural])
			rep.TypeReports[i].Stats = stats{Ignored: n, Total: n}
		}
	case p.validate:
		// importMode=VALIDATE runs the validation phase only; the created
		// and updated counts come from the commit phase, so they stay 0.
	default:
		for i := range rep.TypeReports {
			rep.TypeReports[i].Stats = s.commit(metadataKindByKlass(rep.TypeReports[i].Klass), payload, p)
		}
		s.reindex()
	}
	for _, tr := range rep.TypeReports {
		rep.Stats.add(tr.Stats)
	}
	return rep
}

func metadataKindByKlass(klass string) *kind {
	for i := range metadataKinds {
		if metadataKinds[i].klass == klass {
			return &metadataKinds[i]
		}
	}
	panic("dhis2test: unknown klass " + klass)
}

// commit stores one kind of the payload: DHIS2's default mergeMode REPLACE
// overwrites a stored object whole, and an update counts as updated even
// when nothing changed (the importer does not compare).
func (s *Server) commit(k *kind, payload map[string][]map[string]any, p importParams) stats {
	var st stats
	stored := s.objects[k.plural]
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000")
	for _, o := range payload[k.plural] {
		id := o["id"].(string)
		old, exists := stored[id]
		st.Total++
		if p.strategy == "DELETE" {
			delete(stored, id)
			delete(s.kindOf, id)
			st.Deleted++
			continue
		}
		obj := fillDefaults(k, o)
		obj["lastUpdated"] = now
		if exists {
			obj["created"] = old["created"]
			st.Updated++
		} else {
			obj["created"] = now
			st.Created++
		}
		stored[id] = obj
		s.kindOf[id] = k.plural
	}
	return st
}

// fillDefaults returns a copy of o with what DHIS2 fills in on import:
// the default category combo for data elements and data sets without
// one, the schema defaults the double's checks rely on, and the
// display properties it computes.
func fillDefaults(k *kind, o map[string]any) map[string]any {
	obj := make(map[string]any, len(o)+8)
	for key, v := range o {
		obj[key] = v
	}
	def := func(key string, v any) {
		if _, ok := obj[key]; !ok {
			obj[key] = v
		}
	}
	switch k.plural {
	case "dataElements":
		def("categoryCombo", map[string]any{"id": DefaultCategoryComboUID})
		def("zeroIsSignificant", false)
	case "dataSets":
		def("categoryCombo", map[string]any{"id": DefaultCategoryComboUID})
		def("openFuturePeriods", 0.0)
		def("expiryDays", 0.0)
		def("dataSetElements", []any{})
		def("organisationUnits", []any{})
		def("indicators", []any{})
	}
	def("translations", []any{})
	def("attributeValues", []any{})
	obj["displayName"] = obj["name"]
	if sn, ok := obj["shortName"]; ok {
		obj["displayShortName"] = sn
	}
	return obj
}

// reindex rebuilds the data element → data sets map the data value
// import uses; the caller holds s.mu.
func (s *Server) reindex() {
	s.dataSetsOf = map[string][]string{}
	s.dataSetUnits = map[string]map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(s.objects["dataSets"])) {
		ds := s.objects["dataSets"][id]
		for _, e := range asSlice(ds["dataSetElements"]) {
			m, _ := e.(map[string]any)
			if de := refID(m["dataElement"]); de != "" {
				s.dataSetsOf[de] = append(s.dataSetsOf[de], id)
			}
		}
		units := map[string]bool{}
		for _, ou := range asSlice(ds["organisationUnits"]) {
			units[refID(ou)] = true
		}
		s.dataSetUnits[id] = units
	}
}

// newUID returns a fresh UID as CodeGenerator.generateUid does: a letter,
// then ten letters or digits.
func (s *Server) newUID() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const alnum = letters + "0123456789"
	for {
		s.uidSeq++
		n := s.uidSeq*2654435761 + 97
		b := []byte{letters[n%uint64(len(letters))]}
		for i := 0; i < 10; i++ {
			n = n*6364136223846793005 + 1442695040888963407
			b = append(b, alnum[(n>>33)%uint64(len(alnum))])
		}
		if _, taken := s.kindOf[string(b)]; !taken {
			return string(b)
		}
	}
}
