package api

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
)

type area struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	NameAr      string `json:"name_ar"`
	Governorate string `json:"governorate,omitempty"`
	Facilities  int    `json:"facilities"`
}

// areas lists the governorates and districts of the registry with their
// names, so that dashboards show names where indicators carry codes, and
// the timezone in which periods are local days. A district the code table
// does not know is named by its code.
func (a *API) areas(w http.ResponseWriter, r *http.Request) {
	v := a.viewer(r)
	govCount, distCount := map[string]int{}, map[string]int{}
	distGov := map[string]string{}
	for _, f := range a.reg.Facilities() {
		if v.SeesRow("governorate", f.Governorate) {
			govCount[f.Governorate]++
		}
		if v.SeesRow("district", f.District) {
			distCount[f.District]++
			distGov[f.District] = f.Governorate
		}
	}
	out := struct {
		Timezone     string `json:"timezone"`
		Governorates []area `json:"governorates"`
		Districts    []area `json:"districts"`
	}{Timezone: a.loc.String(), Governorates: []area{}, Districts: []area{}}
	for _, g := range registry.Governorates() {
		if govCount[g.Code] > 0 {
			out.Governorates = append(out.Governorates, area{Code: g.Code, Name: g.Name, NameAr: g.NameAr, Facilities: govCount[g.Code]})
		}
	}
	named := map[string]registry.District{}
	for _, d := range registry.Districts() {
		named[d.Code] = d
	}
	for code, n := range distCount {
		d, ok := named[code]
		if !ok {
			d = registry.District{Name: code, NameAr: code}
		}
		out.Districts = append(out.Districts, area{Code: code, Name: d.Name, NameAr: d.NameAr, Governorate: distGov[code], Facilities: n})
	}
	slices.SortFunc(out.Districts, func(x, y area) int {
		return cmp.Or(cmp.Compare(x.Governorate, y.Governorate), cmp.Compare(x.Name, y.Name))
	})
	writeJSON(w, http.StatusOK, out)
}

// maxWasteRange bounds a breakdown to what a facility page shows.
const maxWasteRange = 400 * 24 * time.Hour

// waste answers GET /api/v1/waste?facility=&from=&to=: one facility's waste
// in kg by category and treatment.
func (a *API) waste(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	id := v.Get("facility")
	if id == "" {
		writeError(w, http.StatusBadRequest, &badParam{"facility", "required: a facility id of the registry"})
		return
	}
	if vw := a.viewer(r); !vw.May(ReadFacilities) || !vw.SeesFacility(id) {
		outside(w, vw, "facility", id)
		return
	}
	if _, ok := a.reg.Lookup(id); !ok {
		writeError(w, http.StatusBadRequest, &badParam{"facility", fmt.Sprintf("%q is not a facility of the registry", id)})
		return
	}
	q, err := a.parse(r, maxWasteRange)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	rows, err := a.ind.Waste(r.Context(), id, q.From, q.To)
	if err != nil {
		writeError(w, http.StatusBadGateway, fmt.Errorf("reading waste from InfluxDB: %w", err))
		return
	}
	if rows == nil {
		rows = []rollup.WasteRow{}
	}
	writeJSON(w, http.StatusOK, rows)
}
