package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/reading"
)

// The page is plain HTML with a small stylesheet and script, all embedded,
// so it works on a LAN with no internet.
//
//go:embed page
var pageFS embed.FS

type option struct{ Value, Label string }

// labelOf returns the label of value v, or v in words when labels lacks
// it.
func labelOf(v string, labels map[string]label) label {
	if l, ok := labels[v]; ok {
		return l
	}
	return label{Name: strings.ReplaceAll(v, "_", " ")}
}

func options(values []string, labels map[string]label) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: labelOf(v, labels).menu()}
	}
	return out
}

// names returns the short name of each of values, for the list of entries
// that app.js draws.
func names(values []string, labels map[string]label) map[string]string {
	out := make(map[string]string, len(values))
	for _, v := range values {
		out[v] = labelOf(v, labels).Name
	}
	return out
}

// script is what the page hands app.js, as JSON: its messages and how to
// word the list of entries.
type script struct {
	Locale     string            `json:"locale"`
	Text       map[string]string `json:"text"`
	Fields     map[string]string `json:"fields"`
	Categories map[string]string `json:"categories"`
	Treatments map[string]string `json:"treatments"`
	Meter      meterScript       `json:"meter"`
	Alerts     alertsScript      `json:"alerts"`
	Figures    figuresScript     `json:"figures"`
}

// alertsScript is what the page hands alerts.js: its messages and the
// names of the severities.
type alertsScript struct {
	Text       map[string]string `json:"text"`
	Severities map[string]string `json:"severities"`
}

// meterScript is what the page hands meter.js: its messages, and how to
// word counters and units in the lists.
type meterScript struct {
	Text     map[string]string `json:"text"`
	Fields   map[string]string `json:"fields"`
	Counters map[string]string `json:"counters"`
	Units    map[string]string `json:"units"`
}

// pageData is what the page template shows.
type pageData struct {
	T           *words // the page's words, in the language it is shown in
	Facility    string
	Login       bool // only the login form
	LoginFailed bool
	Open        bool // no password: say that anyone on the network can enter waste
	Protected   bool // a password is set: offer to log out
	WasteOff    bool
	MeterOff    bool
	// Figures: the agent computes the facility's figures (a web server
	// without them shows no figures part at all).
	Figures    bool
	Categories []option
	Treatments []option
	Counters   []option
	Script     script
}

// page serves the waste entry page, or the login form to a browser that
// has not logged in, in English or Arabic, and handles the login form and
// the language switch. It is safe for concurrent use.
type page struct {
	tmpl *template.Template
	auth *auth
	data map[lang]pageData
}

func newPage(opt Options, au *auth) *page {
	p := &page{
		// The template is part of the binary: failing to parse it is a bug.
		tmpl: template.Must(template.ParseFS(pageFS, "page/index.html")),
		auth: au,
		data: map[lang]pageData{},
	}
	for _, l := range []lang{english, arabic} {
		w := wordsFor(l, manual.MaxNote, wastelog.Keep)
		counters := manual.CounterNames()
		p.data[l] = pageData{
			T:          w,
			Facility:   opt.Facility,
			Open:       au.open,
			Protected:  !au.open,
			WasteOff:   opt.Waste == nil,
			MeterOff:   opt.Meters == nil,
			Figures:    opt.Figures != nil,
			Categories: options(reading.WasteCategories, w.Categories),
			Treatments: options(reading.WasteTreatments, w.Treatments),
			Counters:   options(counters, w.Meter.Counters),
			Script: script{
				Locale:     w.Locale,
				Text:       w.Script,
				Fields:     w.Fields,
				Categories: names(reading.WasteCategories, w.Categories),
				Treatments: names(reading.WasteTreatments, w.Treatments),
				Meter: meterScript{
					Text:     w.Meter.Script,
					Fields:   w.Meter.Fields,
					Counters: names(counters, w.Meter.Counters),
					Units:    w.Meter.Units,
				},
				Alerts:  alertsScript{Text: w.Alerts.Script, Severities: w.Alerts.Severities},
				Figures: w.Figures.script(),
			},
		}
	}
	return p
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := p.data[pickLang(r)]
	if !p.auth.allowed(r) {
		p.render(w, http.StatusOK, pageData{T: d.T, Facility: d.Facility, Login: true})
		return
	}
	p.render(w, http.StatusOK, d)
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
	h.Set("Vary", "Accept-Language, Cookie")
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
		d := p.data[pickLang(r)]
		p.render(w, http.StatusUnauthorized, pageData{T: d.T, Facility: d.Facility, Login: true, LoginFailed: true})
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

// setLang remembers the language that the form of the #lang button
// chose, in a cookie, and goes back to the page. It needs no login: the
// login form switches too, and a cookie that only picks a language is
// harmless to set from anywhere.
func (p *page) setLang(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the language form could not be read: "+err.Error(), http.StatusBadRequest)
		return
	}
	l, ok := parseLang(r.PostForm.Get("lang"))
	if !ok {
		http.Error(w, fmt.Sprintf("language %q: the page speaks en and ar", r.PostForm.Get("lang")), http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     LangCookie,
		Value:    string(l),
		Path:     "/",
		MaxAge:   langCookieAge,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
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
