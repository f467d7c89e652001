package importer

import (
	"testing"

	"github.com/greenpulse-health/greenpulse/registry"
)

func TestLookupName(t *testing.T) {
	gm := NewGovernorateMatcher()
	tests := []struct{ name, want string }{
		{"Karbala", "IQ-KA"}, {"Kerbala", "IQ-KA"}, {"Karbala'", "IQ-KA"}, {"كربلاء", "IQ-KA"},
		{"Ninewa", "IQ-NI"}, {"Ninawa", "IQ-NI"}, {"Nineveh", "IQ-NI"}, {"نينوى", "IQ-NI"},
		{"Basrah", "IQ-BA"}, {"Basra", "IQ-BA"}, {"Al-Basrah", "IQ-BA"}, {"البصرة", "IQ-BA"},
		{"Sulaymaniyah", "IQ-SU"}, {"Sulaimaniya", "IQ-SU"}, {"As Sulaymaniyah", "IQ-SU"},
		{"Duhok", "IQ-DA"}, {"Dahuk", "IQ-DA"},
		{"Erbil", "IQ-AR"}, {"Arbil", "IQ-AR"}, {"أربيل", "IQ-AR"}, {"اربيل", "IQ-AR"},
		{"Salahuddin", "IQ-SD"}, {"Salah ad Din", "IQ-SD"}, {"Salah al-Din", "IQ-SD"}, {"صلاح الدين", "IQ-SD"},
		{"Thi-Qar", "IQ-DQ"}, {"Dhi Qar", "IQ-DQ"}, {"ذي قار", "IQ-DQ"},
		{"Anbar", "IQ-AN"}, {"Al Anbar", "IQ-AN"}, {"AL-ANBAR", "IQ-AN"}, {"الأنبار", "IQ-AN"},
		{"Diyala", "IQ-DI"}, {"Wasit", "IQ-WA"}, {"Maysan", "IQ-MA"}, {"Missan", "IQ-MA"},
		{"Muthanna", "IQ-MU"}, {"Al-Muthanna", "IQ-MU"}, {"Qadisiyah", "IQ-QA"}, {"Diwaniyah", "IQ-QA"},
		{"Najaf", "IQ-NA"}, {"An Najaf", "IQ-NA"}, {"Babil", "IQ-BB"}, {"Babylon", "IQ-BB"},
		{"Kirkuk", "IQ-KI"}, {"Baghdad", "IQ-BG"},
		{"Basrah Governorate", "IQ-BA"}, {"Directorate of Health Basrah", "IQ-BA"}, {"Diyala DoH", "IQ-DI"},
		{"دائرة صحة البصرة", "IQ-BA"}, {"محافظة نينوى", "IQ-NI"},
		{"Baghdad Al-Karkh", "IQ-BG"}, {"Baghdad-Rusafa", "IQ-BG"}, {"بغداد الكرخ", "IQ-BG"},
		{"Atlantis", ""}, {"", ""}, {"Health", ""},
	}
	for _, tt := range tests {
		if got, how := gm.LookupName(tt.name); got != tt.want {
			t.Errorf("LookupName(%q) = %q (%s), want %q", tt.name, got, how, tt.want)
		}
	}
	// Every name of the registry's own table matches its code.
	for _, g := range registry.Governorates() {
		for _, n := range []string{g.Name, g.NameAr} {
			if got, _ := gm.LookupName(n); got != g.Code {
				t.Errorf("LookupName(%q) = %q, want %q", n, got, g.Code)
			}
		}
	}
	if got, _ := gm.LookupName("Basra", "Baghdad"); got != "" {
		t.Errorf("two governorates matched %q, want none", got)
	}
}

func TestLookupCode(t *testing.T) {
	gm := NewGovernorateMatcher()
	for in, want := range map[string]string{"IQ-BG": "IQ-BG", "iq-bg": "IQ-BG", " IQ_BA ": "IQ-BA", "IQ-XX": "", "BG": "", "": ""} {
		if got := gm.LookupCode(in); got != want {
			t.Errorf("LookupCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGuessType(t *testing.T) {
	tests := []struct {
		texts []string
		want  registry.Type
	}{
		{[]string{"Basra General Hospital"}, registry.TypeHospital},
		{[]string{"مستشفى الرمادي التعليمي"}, registry.TypeHospital},
		{[]string{"Al-Zubair PHC"}, registry.TypePHC},
		{[]string{"Primary Health Care Centre Hay Al-Jihad"}, registry.TypePHC},
		{[]string{"Karkh Health Centre"}, registry.TypePHC},
		{[]string{"مركز صحي الكرامة"}, registry.TypePHC},
		{[]string{"قطاع الرعاية الصحية الأولية في الحلة"}, registry.TypePHC},
		{[]string{"Public Health Clinic", "Abu Dashir"}, registry.TypePHC},
		{[]string{"", "Najaf Blood Bank"}, registry.TypeOther},
		{[]string{"Hospitality school"}, registry.TypeOther},
	}
	for _, tt := range tests {
		if got := GuessType(tt.texts...); got != tt.want {
			t.Errorf("GuessType(%q) = %s, want %s", tt.texts, got, tt.want)
		}
	}
}
