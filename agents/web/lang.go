package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// lang is a language of the waste entry page: "en" or "ar".
type lang string

const (
	english lang = "en"
	arabic  lang = "ar"
)

// LangCookie is the name of the cookie that POST /lang sets, so that the
// page, the login form included, comes out in the language staff chose.
const LangCookie = "greenpulse_lang"

// langCookieAge is how long the choice of language is kept: a phone keeps
// the page's language until someone switches it again.
const langCookieAge = 365 * 24 * 60 * 60 // seconds

// parseLang returns the page language named s, exactly "en" or "ar".
func parseLang(s string) (lang, bool) {
	switch l := lang(s); l {
	case english, arabic:
		return l, true
	}
	return "", false
}

// pickLang returns the language to answer r in: the one its cookie chose,
// else the one its Accept-Language prefers.
func pickLang(r *http.Request) lang {
	if c, err := r.Cookie(LangCookie); err == nil {
		if l, ok := parseLang(c.Value); ok {
			return l
		}
	}
	return acceptLang(r.Header.Get("Accept-Language"))
}

// acceptLang picks the page language that an Accept-Language header (RFC
// 9110 §12.5.4) weighs highest: Arabic for ar and ar-*, English for en and
// en-*, the earlier one on a tie. Other languages do not count, so
// "fr, ar;q=0.5" is Arabic; with neither, or with a header it cannot
// read, the answer is English.
func acceptLang(header string) lang {
	best, bestQ := english, 0.0
	for _, item := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(item, ";")
		tag = strings.TrimSpace(tag)
		if i := strings.IndexAny(tag, "-_"); i >= 0 {
			tag = tag[:i]
		}
		l, ok := parseLang(strings.ToLower(tag))
		if !ok {
			continue
		}
		q, ok := weight(params)
		if ok && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// weight returns the q parameter among params (";"-separated), 1 without
// one, and false when it is not a number from 0 to 1.
func weight(params string) (float64, bool) {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return q, err == nil && q >= 0 && q <= 1
	}
	return 1, true
}

// label words one value of the reading contract: Name in the list of
// entries, Name and Detail in the form's menu.
type label struct{ Name, Detail string }

func (l label) menu() string {
	if l.Detail == "" {
		return l.Name
	}
	return l.Name + " (" + l.Detail + ")"
}

// words is the page's text in one language. The HTML fields hold markup
// written here, never anything from a request. It is only read once
// wordsFor has built it, so requests share it safely.
type words struct {
	Lang, Dir string
	// Locale formats the numbers and times of the list of entries.
	Locale string
	// Switch is the name of the other language, on the button that
	// switches to it; SwitchTo is its code.
	Switch   string
	SwitchTo lang

	Title, Facility, LogOut                  string
	LogIn, LoginIntro, LoginFailed, Password string
	Unprotected, WasteOff, NoScript          template.HTML

	Form, Choose, Optional, Record string
	Category, Treatment            string
	Mass, MassPlaceholder          string
	Stored, StoredPlaceholder      string
	Note, NoteHint                 string

	Recent, Loading string
	Columns         [7]string // time, category, kg, treatment, hours stored, note, state
	States          template.HTML

	Categories, Treatments map[string]label

	// Script holds the messages that app.js shows, by key; "{name}" in
	// one is a value that the script puts in.
	Script map[string]string
	// Fields says, per field of the agent's 422 answer, what is wrong in
	// this language. The agent words its answers in English only, so the
	// page shows this next to the field with the agent's detail after it;
	// English needs none.
	Fields map[string]string

	// Meter is the meter readings part of the page.
	Meter *meterWords
	// Alerts is the list of the facility's active alerts.
	Alerts *alertWords
	// Figures is the facility's figures (lang_figures.go).
	Figures *figureWords
}

// alertWords is the text of the list of active alerts, in one language.
type alertWords struct {
	Title, Loading string
	// Script holds alerts.js's messages, by key; Severities names
	// critical, warning and info.
	Script     map[string]string
	Severities map[string]string
}

func englishAlertWords() *alertWords {
	return &alertWords{
		Title:   "Active alerts",
		Loading: "Loading…",
		Script: map[string]string{
			"none":               "No active alerts.",
			"offline":            "Last known list, received {time}; the link to the collector is down.",
			"offline_never":      "No list of alerts has been received yet; the link to the collector is down.",
			"since":              "since {time}",
			"acked":              "acknowledged by {by}",
			"skipped":            "{n} alerts from the server could not be shown; the agent's log says why.",
			"recent_logged_out":  "You are logged out. Reload the page and log in again.",
			"recent_failed":      "Could not load the alerts: the agent answered {status}{detail}.",
			"recent_unreachable": "Could not load the alerts: the agent could not be reached ({err}). Retrying…",
		},
		Severities: map[string]string{"critical": "Critical", "warning": "Warning", "info": "Info"},
	}
}

func arabicAlertWords() *alertWords {
	return &alertWords{
		Title:   "التنبيهات النشطة",
		Loading: "جارٍ التحميل…",
		Script: map[string]string{
			"none":               "لا توجد تنبيهات نشطة.",
			"offline":            "آخر قائمة معروفة، وصلت في {time}؛ الاتصال بالخادم المركزي مقطوع.",
			"offline_never":      "لم تصل أي قائمة تنبيهات بعد؛ الاتصال بالخادم المركزي مقطوع.",
			"since":              "منذ {time}",
			"acked":              "أقرّ به {by}",
			"skipped":            "تعذّر عرض {n} من التنبيهات الواردة من الخادم؛ يبيّن سجلّ البرنامج السبب.",
			"recent_logged_out":  "انتهت جلستك. أعد تحميل الصفحة وسجّل الدخول مرة أخرى.",
			"recent_failed":      "تعذّر تحميل التنبيهات: أجاب البرنامج بالرمز {status}{detail}.",
			"recent_unreachable": "تعذّر تحميل التنبيهات: تعذّر الوصول إلى البرنامج ({err}). جارٍ إعادة المحاولة…",
		},
		Severities: map[string]string{"critical": "حرج", "warning": "تحذير", "info": "للعلم"},
	}
}

// wordsFor returns the page's text in l; maxNote and keep are the longest
// note and the length of the list of entries.
func wordsFor(l lang, maxNote, keep int) *words {
	if l == arabic {
		return arabicWords(maxNote, keep)
	}
	return englishWords(maxNote, keep)
}

func englishWords(maxNote, keep int) *words {
	return &words{
		Lang: "en", Dir: "ltr", Locale: "en-GB",
		Switch: "العربية", SwitchTo: arabic,

		Title:       "Waste entry",
		Facility:    "Facility",
		LogOut:      "Log out",
		LogIn:       "Log in",
		LoginIntro:  "Enter the password of this facility's GreenPulse agent.",
		LoginFailed: "That password is not right. Try again.",
		Password:    "Password",
		Unprotected: "This page has no password: anyone who can reach this computer on the network can enter waste here. Ask whoever looks after the agent to set <code>http.password</code> in its configuration.",
		WasteOff:    "Waste entry is turned off on this agent (<code>sources.manual.enabled: false</code>).",
		NoScript:    "This page needs JavaScript to send entries. Without it, use <code>greenpulse-agent log-waste</code> on the agent's computer.",

		Form:              "Record a hand-over",
		Choose:            "Choose…",
		Optional:          "(optional)",
		Record:            "Record",
		Category:          "Category",
		Treatment:         "Treatment",
		Mass:              "Weight in kg",
		MassPlaceholder:   "12.5",
		Stored:            "Hours stored before treatment",
		StoredPlaceholder: "20",
		Note:              "Note",
		NoteHint:          "(optional, up to " + strconv.Itoa(maxNote) + " characters; stays on this computer)",

		Recent:  "Last " + strconv.Itoa(keep) + " entries",
		Loading: "Loading…",
		Columns: [7]string{"Time", "Category", "kg", "Treatment", "Stored h", "Note", "State"},
		States:  "<strong>queued</strong>: kept safely on this computer until the GreenPulse server confirms it; <strong>sent</strong>: the server has it.",

		Categories: map[string]label{
			"infectious":     {"Infectious", ""},
			"sharps":         {"Sharps", "needles, blades"},
			"pathological":   {"Pathological", "tissue, body parts"},
			"pharmaceutical": {"Pharmaceutical", "expired medicines"},
			"chemical":       {"Chemical", ""},
			"radioactive":    {"Radioactive", ""},
			"general":        {"General", "not hazardous"},
		},
		Treatments: map[string]label{
			"autoclave":     {"Autoclave", ""},
			"microwave":     {"Microwave", ""},
			"incineration":  {"Incineration", ""},
			"chemical":      {"Chemical disinfection", ""},
			"encapsulation": {"Encapsulation", ""},
			"offsite":       {"Off-site", "sent elsewhere for treatment"},
			"landfill":      {"Landfill", ""},
			"open_burning":  {"Open burning", ""},
			"open_dumping":  {"Open dumping", ""},
			"other":         {"Other", ""},
		},

		Script: map[string]string{
			"mass_nan":           "Write the weight as a number of kilograms, such as 12.5.",
			"number_comma":       "Write {whole} or {decimal}: a comma here is ambiguous.",
			"hours_nan":          "Write the hours as a number, such as 20, or leave it empty.",
			"not_recorded":       "Not recorded: correct what is marked in red.",
			"sending":            "Sending…",
			"unreachable":        "Not recorded: the agent could not be reached ({err}). Check the network connection and try again.",
			"recorded":           "Recorded — queued for sending.",
			"logged_out":         "Not recorded: you are logged out (the session ended or the agent restarted). Reload the page and log in again.",
			"answered":           "Not recorded: the agent answered {status}{detail}.",
			"no_entries":         "No entries yet.",
			"recent_logged_out":  "You are logged out. Reload the page and log in again.",
			"recent_failed":      "Could not load the last entries: the agent answered {status}{detail}.",
			"recent_unreachable": "Could not load the last entries: the agent could not be reached ({err}). Retrying…",
			"queued":             "queued",
			"sent":               "sent",
			"queued_title":       "kept on this computer until the server confirms it",
			"sent_title":         "the server has it",
		},
		Meter:   englishMeterWords(keep),
		Alerts:  englishAlertWords(),
		Figures: englishFigureWords(),
	}
}

// arabicWords is the page in the Modern Standard Arabic of Iraq's health
// ministry, with Arabic-Indic digits.
func arabicWords(maxNote, keep int) *words {
	return &words{
		Lang: "ar", Dir: "rtl", Locale: "ar-IQ",
		Switch: "English", SwitchTo: english,

		Title:       "تسجيل النفايات الطبية",
		Facility:    "المؤسسة الصحية",
		LogOut:      "تسجيل الخروج",
		LogIn:       "تسجيل الدخول",
		LoginIntro:  "أدخل كلمة المرور الخاصة ببرنامج GreenPulse في هذه المؤسسة.",
		LoginFailed: "كلمة المرور غير صحيحة. حاول مرة أخرى.",
		Password:    "كلمة المرور",
		Unprotected: "هذه الصفحة غير محمية بكلمة مرور: يستطيع كل من يصل إلى هذا الحاسوب عبر الشبكة أن يسجّل النفايات هنا. اطلب من المسؤول عن البرنامج ضبط <code>http.password</code> في إعداداته.",
		WasteOff:    "تسجيل النفايات معطَّل في هذا البرنامج (<code>sources.manual.enabled: false</code>).",
		NoScript:    "تحتاج هذه الصفحة إلى JavaScript لإرسال الإدخالات. من دونه، استخدم الأمر <code>greenpulse-agent log-waste</code> على حاسوب البرنامج.",

		Form:              "تسجيل تسليم النفايات",
		Choose:            "اختر…",
		Optional:          "(اختياري)",
		Record:            "تسجيل",
		Category:          "فئة النفايات",
		Treatment:         "طريقة المعالجة",
		Mass:              "الوزن بالكيلوغرام",
		MassPlaceholder:   "١٢٫٥",
		Stored:            "ساعات التخزين قبل المعالجة",
		StoredPlaceholder: "٢٠",
		Note:              "ملاحظة",
		NoteHint:          "(اختيارية، " + arabicDigits(maxNote) + " حرف كحد أقصى، وتبقى على هذا الحاسوب)",

		Recent:  "آخر " + arabicDigits(keep) + " إدخالاً",
		Loading: "جارٍ التحميل…",
		Columns: [7]string{"الوقت", "الفئة", "كغم", "المعالجة", "ساعات التخزين", "ملاحظة", "الحالة"},
		States:  "<strong>بانتظار الإرسال</strong>: محفوظ بأمان على هذا الحاسوب حتى يؤكد خادم GreenPulse استلامه؛ <strong>أُرسل</strong>: وصل إلى الخادم.",

		Categories: map[string]label{
			"infectious":     {"معدية", ""},
			"sharps":         {"أدوات حادة", "إبر، شفرات"},
			"pathological":   {"باثولوجية", "أنسجة، أجزاء من الجسم"},
			"pharmaceutical": {"صيدلانية", "أدوية منتهية الصلاحية"},
			"chemical":       {"كيميائية", ""},
			"radioactive":    {"مشعة", ""},
			"general":        {"عامة", "غير خطرة"},
		},
		Treatments: map[string]label{
			"autoclave":     {"تعقيم بالبخار (أوتوكليف)", ""},
			"microwave":     {"موجات دقيقة", ""},
			"incineration":  {"حرق في محرقة", ""},
			"chemical":      {"معالجة كيميائية", ""},
			"encapsulation": {"تغليف", ""},
			"offsite":       {"خارج المؤسسة", "تُرسل إلى جهة أخرى لمعالجتها"},
			"landfill":      {"طمر صحي", ""},
			"open_burning":  {"حرق مكشوف", ""},
			"open_dumping":  {"رمي مكشوف", ""},
			"other":         {"أخرى", ""},
		},

		Script: map[string]string{
			"mass_nan":           "اكتب الوزن رقماً بالكيلوغرام، مثل ١٢٫٥.",
			"number_comma":       "اكتب {whole} أو {decimal}: الفاصلة هنا تحتمل المعنيين.",
			"hours_nan":          "اكتب عدد الساعات رقماً، مثل ٢٠، أو اترك الحقل فارغاً.",
			"not_recorded":       "لم يُسجَّل الإدخال: صحّح ما هو مؤشَّر باللون الأحمر.",
			"sending":            "جارٍ الإرسال…",
			"unreachable":        "لم يُسجَّل الإدخال: تعذّر الوصول إلى البرنامج ({err}). تحقّق من اتصال الشبكة وحاول مرة أخرى.",
			"recorded":           "سُجِّل الإدخال — بانتظار الإرسال.",
			"logged_out":         "لم يُسجَّل الإدخال: انتهت جلستك (انتهت مدتها أو أُعيد تشغيل البرنامج). أعد تحميل الصفحة وسجّل الدخول مرة أخرى.",
			"answered":           "لم يُسجَّل الإدخال: أجاب البرنامج بالرمز {status}{detail}.",
			"no_entries":         "لا توجد إدخالات بعد.",
			"recent_logged_out":  "انتهت جلستك. أعد تحميل الصفحة وسجّل الدخول مرة أخرى.",
			"recent_failed":      "تعذّر تحميل آخر الإدخالات: أجاب البرنامج بالرمز {status}{detail}.",
			"recent_unreachable": "تعذّر تحميل آخر الإدخالات: تعذّر الوصول إلى البرنامج ({err}). جارٍ إعادة المحاولة…",
			"queued":             "بانتظار الإرسال",
			"sent":               "أُرسل",
			"queued_title":       "محفوظ على هذا الحاسوب حتى يؤكد الخادم استلامه",
			"sent_title":         "وصل إلى الخادم",
		},
		Meter:   arabicMeterWords(maxNote, keep),
		Alerts:  arabicAlertWords(),
		Figures: arabicFigureWords(),
		Fields: map[string]string{
			"category":     "فئة النفايات غير صحيحة: اختر فئة من القائمة.",
			"treatment":    "طريقة المعالجة غير صحيحة: اختر طريقة من القائمة.",
			"mass_kg":      "الوزن غير صحيح: اكتبه بالكيلوغرام.",
			"stored_hours": "مدة التخزين غير صحيحة: اكتب عدد الساعات، أو اترك الحقل فارغاً.",
			"note":         "الملاحظة غير مقبولة: اكتبها في سطر واحد وبما لا يزيد على " + arabicDigits(maxNote) + " حرف.",
			"ts":           "وقت التسليم غير صحيح.",
			"id":           "معرّف الإدخال غير صحيح.",
		},
	}
}

// arabicDigits writes n with Arabic-Indic digits, as Arabic text in Iraq
// does.
func arabicDigits(n int) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '٠' + r - '0'
		}
		return r
	}, strconv.Itoa(n))
}
