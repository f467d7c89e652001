package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/reading"
)

// The page is plain HTML with a small stylesheet and script, all embedded,
// so it works on a LAN with no internet.
//
//go:embed page
var pageFS embed.FS

// categoryLabels and treatmentLabels word the contract's values for the
// page's menus; a value missing here shows as itself.
var (
	categoryLabels = map[string]string{
		"infectious":     "Infectious",
		"sharps":         "Sharps (needles, blades)",
		"pathological":   "Pathological (tissue, body parts)",
		"pharmaceutical": "Pharmaceutical (expired medicines)",
		"chemical":       "Chemical",
		"radioactive":    "Radioactive",
		"general":        "General (not hazardous)",
	}
	treatmentLabels = map[string]string{
		"autoclave":     "Autoclave",
		"microwave":     "Microwave",
		"incineration":  "Incineration",
		"chemical":      "Chemical disinfection",
		"encapsulation": "Encapsulation",
		"offsite":       "Sent off-site for treatment",
		"landfill":      "Landfill",
		"open_burning":  "Open burning",
		"open_dumping":  "Open dumping",
		"other":         "Other",
	}
)

type option struct{ Value, Label string }

func options(values []string, labels map[string]string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		l, ok := labels[v]
		if !ok {
			l = strings.ReplaceAll(v, "_", " ")
		}
		out[i] = option{Value: v, Label: l}
	}
	return out
}

// pageData is what the page template shows.
type pageData struct {
	Facility    string
	Login       bool // only the login form
	LoginFailed bool
	Open        bool // no password: say that anyone on the network can enter waste
	Protected   bool // a password is set: offer to log out
	WasteOff    bool
	Categories  []option
	Treatments  []option
	MaxNote     int
}

// page serves the waste entry page, or the login form to a browser that
// has not logged in, and handles the login form. It is safe for
// concurrent use.
type page struct {
	tmpl *template.Template
	auth *auth
	data pageData
}

func newPage(opt Options, au *auth) *page {
	return &page{
		// The template is part of the binary: failing to parse it is a bug.
		tmpl: template.Must(template.ParseFS(pageFS, "page/index.html")),
		auth: au,
		data: pageData{
			Facility:   opt.Facility,
			Open:       au.open,
			Protected:  !au.open,
			WasteOff:   opt.Waste == nil,
			Categories: options(reading.WasteCategories, categoryLabels),
			Treatments: options(reading.WasteTreatments, treatmentLabels),
			MaxNote:    manual.MaxNote,
		},
	}
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.auth.allowed(r) {
		p.render(w, http.StatusOK, pageData{Facility: p.data.Facility, Login: true})
		return
	}
	p.render(w, http.StatusOK, p.data)
}

func (p *page) render(w http.ResponseWriter, code int, d pageData) {
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, d); err != nil {
		http.Error(w, "page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	setStrictHeaders(h)
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes()) // the client went away: nothing to do
}

// setStrictHeaders keeps the page to its own files and out of frames.
func setStrictHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

// login checks the password of the login form and starts a session; a
// wrong one shows the form again, after the delay.
func (p *page) login(w http.ResponseWriter, r *http.Request) {
	a := p.auth
	if a.open {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the login form could not be read: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !a.right(r.PostForm.Get("password")) {
		a.wrong(r, "form")
		p.render(w, http.StatusUnauthorized, pageData{Facility: p.data.Facility, Login: true, LoginFailed: true})
		return
	}
	token, expires := a.start()
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(a.ttl / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// staticFiles serves the page's stylesheet and script.
func staticFiles() http.Handler {
	sub, err := fs.Sub(pageFS, "page/static")
	if err != nil {
		panic(err) // the folder is embedded: a bug
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		setStrictHeaders(w.Header())
		files.ServeHTTP(w, r)
	})
}
