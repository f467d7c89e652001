package windowed

import (
	"testing"
	"time"
)

func TestAt(t *testing.T) {
	bg := baghdad(t)
	for _, c := range []struct {
		name   string
		t      time.Time
		loc    *time.Location
		en, ar string
	}{
		{"nil is UTC", time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), nil, "2 Dec 2026 06:00 UTC", "2 كانون الأول 2026 06:00 UTC"},
		{"UTC", time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), time.UTC, "2 Dec 2026 06:00 UTC", "2 كانون الأول 2026 06:00 UTC"},
		{"Baghdad", time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), bg, "2 Dec 2026 09:00 +03", "2 كانون الأول 2026 09:00 +03"},
		{"Baghdad, the next day", time.Date(2026, 1, 31, 22, 5, 59, 0, time.UTC), bg, "1 Feb 2026 01:05 +03", "1 شباط 2026 01:05 +03"},
		{"a time given in another zone", time.Date(2026, 7, 15, 9, 30, 0, 0, bg), nil, "15 Jul 2026 06:30 UTC", "15 تموز 2026 06:30 UTC"},
		{"a fixed zone without a name", time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC), time.FixedZone("", 3*3600), "21 Mar 2026 15:00 +0300", "21 آذار 2026 15:00 +0300"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := atEn(c.t, c.loc); got != c.en {
				t.Errorf("atEn = %q, want %q", got, c.en)
			}
			if got := atAr(c.t, c.loc); got != c.ar {
				t.Errorf("atAr = %q, want %q", got, c.ar)
			}
		})
	}
}

func TestArMonths(t *testing.T) {
	want := []string{"كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول"}
	for m := time.January; m <= time.December; m++ {
		d := time.Date(2026, m, 10, 12, 0, 0, 0, time.UTC)
		if got, w := atAr(d, nil), "10 "+want[m-1]+" 2026 12:00 UTC"; got != w {
			t.Errorf("%s: %q, want %q", m, got, w)
		}
	}
}
