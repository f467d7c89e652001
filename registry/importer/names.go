package importer

import (
	"slices"
	"strings"
	"unicode"

	"github.com/greenpulse-health/greenpulse/registry"
)

// This file matches the names outside systems give governorates and
// facility kinds to the registry's codes and types. Names are compared by
// their key: lower-case, without accents, apostrophes, hyphens, leading
// Arabic articles ("Al-", "An ", "ال") and words such as "Governorate" or
// "DoH" that ministries add around the name. noiseWords holds words
// already normalised as nameWords returns them (ئ as ي, ة as ه).

// governorateAliases are the other spellings, in English transliteration and
// Arabic, that DHIS2 instances, HeRAMS workspaces and people use for each
// governorate, beyond the registry table's own names.
var governorateAliases = map[string][]string{
	"IQ-AN": {"Anbar", "Al-Anbar", "الانبار"},
	"IQ-BA": {"Basra", "Basrah", "Al-Basra", "Basora", "البصره"},
	"IQ-MU": {"Muthanna", "Muthana", "Al-Muthana", "المثنى"},
	"IQ-QA": {"Qadisiyah", "Qadisiya", "Qadisiyyah", "Qadissiya", "Al-Qadissiya", "Diwaniyah", "Diwaniya", "Al-Diwaniyah", "Ad Diwaniyah", "الديوانيه"},
	"IQ-NA": {"Najaf", "Al-Najaf", "Nejef", "النجف الاشرف"},
	"IQ-AR": {"Erbil", "Irbil", "Arbil", "Hawler", "Hewler", "Hawlêr", "اربيل", "هولير"},
	"IQ-SU": {"Sulaymaniyah", "Sulaymaniya", "Sulaimaniya", "Sulaimaniyah", "Suleimaniyah", "Sulaimani", "Slemani", "Silemani", "السليمانيه"},
	"IQ-BB": {"Babylon", "Babel", "Babil", "بابل"},
	"IQ-BG": {"Baghdad", "بغداد"},
	"IQ-DA": {"Duhok", "Dohuk", "Dahuk", "Dihok", "دهوك"},
	"IQ-DQ": {"Dhi Qar", "Thi Qar", "Thi-Qar", "Dhiqar", "Thiqar", "Zi Qar", "ذي قار", "ذيقار"},
	"IQ-DI": {"Diyala", "Diyalah", "Dyala", "ديالى"},
	"IQ-KA": {"Karbala", "Kerbala", "Karbalaa", "كربلاء المقدسه"},
	"IQ-KI": {"Kirkuk", "Kerkuk", "Tamim", "Al-Tameem", "At Ta'mim", "كركوك", "التاميم"},
	"IQ-MA": {"Maysan", "Missan", "Misan", "Maisan", "ميسان"},
	"IQ-NI": {"Ninawa", "Ninewa", "Nineveh", "Ninevah", "Nainawa", "Ninava", "نينوى"},
	"IQ-SD": {"Salah ad Din", "Salahuddin", "Salah al-Din", "Salah Eddin", "Salahaddin", "Salaheddin", "Saladin", "Salah El Din", "صلاح الدين"},
	"IQ-WA": {"Wasit", "Wassit", "واسط"},
}

// noiseWords are words around a governorate's name that do not name it:
// "Baghdad Governorate", "Directorate of Health Basrah", "دائرة صحة البصرة".
var noiseWords = map[string]bool{
	"governorate": true, "province": true, "muhafazat": true, "muhafaza": true,
	"directorate": true, "department": true, "doh": true, "dohs": true,
	"health": true, "of": true, "general": true, "the": true,
	"محافظه": true, "دايره": true, "صحه": true, "مديريه": true, "عامه": true,
}

// articles are the leading articles transliterations put before a name.
var articles = map[string]bool{"al": true, "el": true, "an": true, "as": true, "ad": true, "at": true, "ar": true, "az": true}

// nameWords returns the comparison words of s: lower-case, Arabic letters
// unified, apostrophes dropped, punctuation as spaces, leading articles
// removed from each word ("Al-Anbar" and "الأنبار" both become one word
// without the article).
func nameWords(s string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == 'ʼ' || r == 'ʿ' || r == 'ʾ':
			// dropped: "Karbala'" is "Karbala"
		case r >= 0x064B && r <= 0x0652, r == 0x0640: // Arabic diacritics, tatweel
		case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ':
			b.WriteRune('ا')
		case r == 'ى' || r == 'ئ':
			b.WriteRune('ي')
		case r == 'ة':
			b.WriteRune('ه')
		case r == 'ؤ':
			b.WriteRune('و')
		case r == 'ê' || r == 'é' || r == 'è':
			b.WriteRune('e')
		case r == 'î':
			b.WriteRune('i')
		case r == 'û':
			b.WriteRune('u')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteRune(' ')
		}
	}
	var words []string
	fields := strings.Fields(b.String())
	for i, w := range fields {
		if articles[w] && i+1 < len(fields) {
			continue // "al basrah": the article is its own word
		}
		if strings.HasPrefix(w, "ال") && len([]rune(w)) > 3 {
			w = strings.TrimPrefix(w, "ال")
		}
		words = append(words, w)
	}
	return words
}

// nameKey is the comparison key of s: its words without noise, joined
// without spaces so that "Thi Qar" and "Thiqar" are one key.
func nameKey(s string) string {
	var kept []string
	for _, w := range nameWords(s) {
		if !noiseWords[w] {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, "")
}

// GovernorateMatcher finds the ISO 3166-2:IQ code of a governorate from the
// names and codes other systems use. It is immutable after
// NewGovernorateMatcher and safe for concurrent use.
type GovernorateMatcher struct {
	byKey    map[string]string   // name key -> code; "" where two codes share a key
	prefixes []governoratePrefix // longest first
	codes    map[string]bool
}

// governoratePrefix is the word sequence of one known name.
type governoratePrefix struct {
	words []string
	code  string
}

// NewGovernorateMatcher returns a matcher over the registry's governorate
// table and the usual alternative spellings.
func NewGovernorateMatcher() *GovernorateMatcher {
	m := &GovernorateMatcher{byKey: map[string]string{}, codes: map[string]bool{}}
	add := func(code, name string) {
		k := nameKey(name)
		if k == "" {
			return
		}
		if old, ok := m.byKey[k]; ok && old != code {
			m.byKey[k] = "" // ambiguous: never guess
		} else {
			m.byKey[k] = code
		}
		var words []string
		for _, w := range nameWords(name) {
			if !noiseWords[w] {
				words = append(words, w)
			}
		}
		m.prefixes = append(m.prefixes, governoratePrefix{words, code})
	}
	for _, g := range registry.Governorates() {
		m.codes[g.Code] = true
		add(g.Code, g.Name)
		add(g.Code, g.NameAr)
		for _, a := range governorateAliases[g.Code] {
			add(g.Code, a)
		}
	}
	slices.SortStableFunc(m.prefixes, func(a, b governoratePrefix) int { return len(b.words) - len(a.words) })
	return m
}

// How a governorate was matched, as the report names it.
const (
	MatchOverride   = "override"
	MatchCode       = "code"
	MatchName       = "name"
	MatchNamePrefix = "start of name"
)

// LookupCode returns the ISO code that code is, tolerating lower case and "_"
// for "-" ("iq_bg"), or "" if it is none.
func (m *GovernorateMatcher) LookupCode(code string) string {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), "_", "-"))
	if m.codes[c] {
		return c
	}
	return ""
}

// LookupName returns the code of the governorate that one of names names, and
// how it matched: the whole name first, then a known name at the start of
// it ("Baghdad Al-Karkh" is Baghdad). It returns "" if no name matches or
// the names point at different governorates.
func (m *GovernorateMatcher) LookupName(names ...string) (code, how string) {
	found := map[string]string{}
	for _, n := range names {
		if c := m.byKey[nameKey(n)]; c != "" {
			found[c] = MatchName
		}
	}
	if len(found) == 0 {
		for _, n := range names {
			if c := m.prefixMatch(n); c != "" {
				found[c] = MatchNamePrefix
			}
		}
	}
	if len(found) != 1 {
		return "", ""
	}
	for c, h := range found {
		code, how = c, h
	}
	return code, how
}

// prefixMatch returns the code of the longest known name that the words of
// n start with, or "" if none or two codes tie.
func (m *GovernorateMatcher) prefixMatch(n string) string {
	var words []string
	for _, w := range nameWords(n) {
		if !noiseWords[w] {
			words = append(words, w)
		}
	}
	best, bestLen := "", 0
	for _, p := range m.prefixes {
		if len(p.words) == 0 || len(p.words) > len(words) || len(p.words) < bestLen {
			continue
		}
		if slices.Equal(words[:len(p.words)], p.words) {
			if best != "" && best != p.code && len(p.words) == bestLen {
				return "" // two governorates start the same way
			}
			best, bestLen = p.code, len(p.words)
		}
	}
	return best
}

// typeWords map words in a facility's name (or a HeRAMS type column) to a
// registry type. Hospital words win over PHC words: "PHC hospital" is rare,
// "hospital outpatient health centre" is a hospital.
var typeWords = []struct {
	t     registry.Type
	words []string
}{
	{registry.TypeHospital, []string{"hospital", "مستشفى", "مستشفي"}},
	{registry.TypePHC, []string{"phc", "phcc", "primary health care", "primary healthcare", "health centre", "health center", "health clinic", "health post", "primary care", "مركز صحي", "الرعاية الصحية الأولية", "رعاية صحية أولية"}},
}

// GuessType returns the facility type that the words of texts suggest,
// trying each text in turn: hospital for "hospital" or "مستشفى"; phc for
// "PHC", "primary health care", "health centre", "health post" or
// "مركز صحي"; other if none of them says.
func GuessType(texts ...string) registry.Type {
	for _, text := range texts {
		for _, tw := range typeWords {
			if hasPhrase(text, tw.words) {
				return tw.t
			}
		}
	}
	return registry.TypeOther
}

// hasArabic reports whether s holds an Arabic letter, as a DHIS2 name
// entered in Arabic does.
func hasArabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// NameKey returns the key names are compared by: "Al-Basrah", "Basrah" and
// "البصرة" each have one key, shared by their spelling variants.
func NameKey(s string) string { return nameKey(s) }
