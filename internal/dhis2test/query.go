package dhis2test

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// This file implements the query parameters of DHIS2's metadata lists, as
// dhis2-docs src/developer/web-api/metadata.md documents them:
// "Browsing the Web API" (paging, page, pageSize, order), "Metadata object
// filter" (filter=property:operator:value, ANDed unless rootJunction=OR,
// and custom attributes filtered by the attribute UID as property) and
// "Metadata field filter" (fields=, with presets and nested [..]).

// listQuery is the parsed query of one list request.
type listQuery struct {
	filters  []filter
	orJoin   bool
	fields   []field
	orders   []order
	paging   bool
	page     int
	pageSize int
	locale   string
}

// defaultPageSize is Pager.DEFAULT_PAGE_SIZE.
const defaultPageSize = 50

// parseListQuery reads the list parameters of r.
func parseListQuery(r *http.Request) (listQuery, error) {
	q := r.URL.Query()
	lq := listQuery{paging: q.Get("paging") != "false", page: 1, pageSize: defaultPageSize, locale: q.Get("locale")}
	if v := q.Get("page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			lq.page = n
		}
	}
	if v := q.Get("pageSize"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			lq.pageSize = n
		}
	}
	lq.orJoin = strings.EqualFold(q.Get("rootJunction"), "OR")
	for _, f := range q["filter"] {
		flt, err := parseFilter(f)
		if err != nil {
			return lq, err
		}
		lq.filters = append(lq.filters, flt)
	}
	// DHIS2 joins every fields= parameter into one list; with none it
	// answers Preset.defaultPreset(), which is ID_NAME: id,displayName.
	spec := strings.Join(q["fields"], ",")
	if strings.Trim(spec, ", ") == "" {
		spec = "id,displayName"
	}
	lq.fields = parseFields(spec)
	for _, o := range q["order"] {
		for _, part := range strings.Split(o, ",") {
			if part = strings.TrimSpace(part); part != "" {
				lq.orders = append(lq.orders, parseOrder(part))
			}
		}
	}
	return lq, nil
}

// filter is one filter=property:operator:value.
type filter struct {
	path  []string
	op    string
	value string
}

// operators are the operators of the "Available Operators" table.
var operators = map[string]bool{
	"eq": true, "!eq": true, "ieq": true, "ne": true, "neq": true,
	"like": true, "!like": true, "$like": true, "!$like": true, "like$": true, "!like$": true,
	"ilike": true, "!ilike": true, "$ilike": true, "!$ilike": true, "ilike$": true, "!ilike$": true,
	"gt": true, "ge": true, "lt": true, "le": true,
	"null": true, "!null": true, "empty": true, "in": true, "!in": true,
}

func parseFilter(s string) (filter, error) {
	prop, rest, ok := strings.Cut(s, ":")
	if !ok || prop == "" {
		return filter{}, fmt.Errorf("Invalid filter: %s", s)
	}
	op, value, _ := strings.Cut(rest, ":")
	if !operators[op] {
		return filter{}, fmt.Errorf("`%s` is not a valid operator.", op)
	}
	return filter{path: strings.Split(prop, "."), op: op, value: value}, nil
}

// matches reports whether obj passes every filter (or any, for OR).
func (lq listQuery) matches(obj map[string]any) bool {
	if len(lq.filters) == 0 {
		return true
	}
	for _, f := range lq.filters {
		if f.match(obj) == lq.orJoin {
			return lq.orJoin
		}
	}
	return !lq.orJoin
}

// collect returns the values at path in v, descending into arrays as a
// collection filter does.
func collect(v any, path []string) []any {
	if len(path) == 0 {
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		next, ok := x[path[0]]
		if !ok && isUID(path[0]) && x["attributeValues"] != nil {
			// A custom attribute used as a property (metadata.md).
			for _, av := range asSlice(x["attributeValues"]) {
				m, _ := av.(map[string]any)
				if refID(m["attribute"]) == path[0] {
					return collect(m["value"], path[1:])
				}
			}
			return nil
		}
		if !ok || next == nil {
			return nil
		}
		return collect(next, path[1:])
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, collect(e, path)...)
		}
		return out
	}
	return nil
}

func (f filter) match(obj map[string]any) bool {
	vals := collect(obj, f.path)
	switch f.op {
	case "null":
		return len(vals) == 0
	case "!null":
		return len(vals) > 0
	case "empty":
		return len(vals) == 0 || (len(vals) == 1 && len(asSlice(vals[0])) == 0)
	}
	negated := strings.HasPrefix(f.op, "!") || f.op == "ne" || f.op == "neq"
	op := strings.TrimPrefix(f.op, "!")
	if op == "ne" || op == "neq" {
		op = "eq"
	}
	hit := false
	for _, v := range vals {
		if arr, ok := v.([]any); ok {
			// eq, gt … on a collection compare its size.
			v = float64(len(arr))
		}
		if compare(v, op, f.value) {
			hit = true
			break
		}
	}
	if negated {
		return !hit
	}
	return hit
}

// compare applies one operator to one value.
func compare(v any, op, want string) bool {
	s := scalarString(v)
	switch op {
	case "eq":
		if n, ok := number(v); ok {
			w, err := strconv.ParseFloat(want, 64)
			return err == nil && n == w
		}
		return s == want
	case "ieq":
		return strings.EqualFold(s, want)
	case "like":
		return strings.Contains(s, want)
	case "$like":
		return strings.HasPrefix(s, want)
	case "like$":
		return strings.HasSuffix(s, want)
	case "ilike":
		return strings.Contains(strings.ToLower(s), strings.ToLower(want))
	case "$ilike":
		return strings.HasPrefix(strings.ToLower(s), strings.ToLower(want))
	case "ilike$":
		return strings.HasSuffix(strings.ToLower(s), strings.ToLower(want))
	case "in":
		for _, w := range splitList(want) {
			if compare(v, "eq", w) {
				return true
			}
		}
		return false
	case "gt", "ge", "lt", "le":
		var c int
		if n, ok := number(v); ok {
			w, err := strconv.ParseFloat(want, 64)
			if err != nil {
				return false
			}
			c = cmp.Compare(n, w)
		} else {
			c = strings.Compare(s, want)
		}
		switch op {
		case "gt":
			return c > 0
		case "ge":
			return c >= 0
		case "lt":
			return c < 0
		}
		return c <= 0
	}
	return false
}

// splitList reads the value of an in filter: "[a,b,c]".
func splitList(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// refID returns the id of a reference {"id": …}.
func refID(v any) string {
	m, _ := v.(map[string]any)
	id, _ := m["id"].(string)
	return id
}

// order is one order=property:direction.
type order struct {
	prop       string
	desc, fold bool
}

func parseOrder(s string) order {
	prop, dir, _ := strings.Cut(s, ":")
	dir = strings.ToLower(dir)
	return order{prop: prop, desc: dir == "desc" || dir == "idesc", fold: dir == "iasc" || dir == "idesc"}
}

// sortObjects orders objs by the request's orders, or by DHIS2's default
// order: Query.setDefaultOrder() sorts by name case-insensitively, then id.
func sortObjects(objs []map[string]any, orders []order) {
	if len(orders) == 0 {
		orders = []order{{prop: "name", fold: true}, {prop: "id"}}
	}
	sort.SliceStable(objs, func(i, j int) bool {
		for _, o := range orders {
			a, b := objs[i][o.prop], objs[j][o.prop]
			var c int
			na, aok := number(a)
			nb, bok := number(b)
			if aok && bok {
				c = cmp.Compare(na, nb)
			} else {
				sa, sb := scalarString(a), scalarString(b)
				if o.fold {
					sa, sb = strings.ToLower(sa), strings.ToLower(sb)
				}
				c = strings.Compare(sa, sb)
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// pager is org.hisp.dhis.common.Pager as Jackson writes it.
type pager struct {
	Page      int    `json:"page"`
	PageCount int    `json:"pageCount"`
	Total     int    `json:"total"`
	PageSize  int    `json:"pageSize"`
	NextPage  string `json:"nextPage,omitempty"`
	PrevPage  string `json:"prevPage,omitempty"`
}

// newPager builds the pager as DHIS2 does: pageCount is at least 1, and
// the page it reports is clamped to [1, pageCount] although the objects
// are taken at the requested page's offset (AbstractFullReadOnlyController
// passes options.getPage() to the query and to new Pager(page, total,
// pageSize), whose constructor clamps), so a page past the end answers an
// empty list with "page" equal to pageCount.
func newPager(page, total, pageSize int) pager {
	p := pager{Page: page, Total: total, PageSize: pageSize}
	p.PageCount = 1
	if total > pageSize {
		p.PageCount = (total + pageSize - 1) / pageSize
	}
	p.Page = min(max(p.Page, 1), p.PageCount)
	return p
}

// links sets nextPage and prevPage as DefaultLinkService.generatePagerLinks
// does: <base>/api/<endpoint>?page=N, then &pageSize=N when it is not the
// default, then every other request parameter URL-encoded; the link back
// to page 1 carries no page parameter.
func (p *pager) links(base string, r *http.Request, endpoint string) {
	params := otherParams(r.URL.RawQuery)
	size := ""
	if p.PageSize != defaultPageSize {
		size = "pageSize=" + strconv.Itoa(p.PageSize)
	}
	join := func(parts ...string) string {
		var kept []string
		for _, s := range parts {
			if s != "" {
				kept = append(kept, s)
			}
		}
		if len(kept) == 0 {
			return ""
		}
		return "?" + strings.Join(kept, "&")
	}
	path := base + "/api/" + endpoint
	if p.Page < p.PageCount {
		p.NextPage = path + join("page="+strconv.Itoa(p.Page+1), size, params)
	}
	if p.Page > 1 {
		if p.Page-1 == 1 {
			p.PrevPage = path + join(size, params)
		} else {
			p.PrevPage = path + join("page="+strconv.Itoa(p.Page-1), size, params)
		}
	}
}

// otherParams re-encodes the query without page and pageSize, in request
// order, with java.net.URLEncoder's rules.
func otherParams(raw string) string {
	var out []string
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || k == "page" || k == "pageSize" {
			continue
		}
		out = append(out, javaURLEncode(k)+"="+javaURLEncode(v))
	}
	return strings.Join(out, "&")
}

// javaURLEncode is java.net.URLEncoder.encode(s, "UTF-8"): letters, digits
// and ".-*_" stay, a space becomes "+", every other byte is %XX.
func javaURLEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// writeList filters, orders, pages and renders objs as DHIS2's list
// answer: {"pager": {…}, "<plural>": […]}, without the pager when
// paging=false. render turns one stored object into the fields requested.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, lq listQuery, plural string, objs []map[string]any, render func(map[string]any) map[string]any) {
	var kept []map[string]any
	for _, o := range objs {
		if lq.matches(o) {
			kept = append(kept, o)
		}
	}
	sortObjects(kept, lq.orders)
	body := map[string]any{}
	if lq.paging {
		p := newPager(lq.page, len(kept), lq.pageSize)
		p.links(s.URL(), r, plural)
		body["pager"] = p
		from := len(kept)
		if lq.page-1 <= len(kept)/lq.pageSize {
			from = min((lq.page-1)*lq.pageSize, len(kept))
		}
		to := min(from+lq.pageSize, len(kept))
		kept = kept[from:to]
	}
	out := make([]map[string]any, 0, len(kept))
	for _, o := range kept {
		out = append(out, render(o))
	}
	body[plural] = out
	writeJSON(w, http.StatusOK, body)
}
