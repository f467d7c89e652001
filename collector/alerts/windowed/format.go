package windowed

import (
	"fmt"
	"strconv"
	"time"
)

// The messages' figures are Western digits in both languages, as on the
// dashboard; the Arabic names the units in words.

// durEn writes d, truncated to the minute, as "45 min", "7 h 20 min" or,
// from 48 h, "3 days 4 h".
func durEn(d time.Duration) string {
	days, h, m := splitDur(d)
	switch {
	case days > 0 && h == 0:
		return fmt.Sprintf("%d days", days)
	case days > 0:
		return fmt.Sprintf("%d days %d h", days, h)
	case h > 0 && m == 0:
		return fmt.Sprintf("%d h", h)
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d min", m)
}

// durAr is durEn in Arabic: "45 دقيقة", "7 ساعات و20 دقيقة", "3 أيام و4 ساعات".
func durAr(d time.Duration) string {
	days, h, m := splitDur(d)
	switch {
	case days > 0 && h == 0:
		return arCount(days, arDay)
	case days > 0:
		return arCount(days, arDay) + " و" + arCount(h, arHour)
	case h > 0 && m == 0:
		return arCount(h, arHour)
	case h > 0:
		return arCount(h, arHour) + " و" + arCount(m, arMinute)
	}
	return arCount(m, arMinute)
}

// arUnit is a unit of time in Arabic messages.
type arUnit int

const (
	arDay arUnit = iota
	arHour
	arMinute
)

// forms are the unit's forms by the count they follow: one, two, 3 to
// 10, 11 to 99.
func (u arUnit) forms() (one, two, few, many string) {
	switch u {
	case arDay:
		return "يوم", "يومين", "أيام", "يومًا"
	case arHour:
		return "ساعة", "ساعتين", "ساعات", "ساعة"
	}
	return "دقيقة", "دقيقتين", "دقائق", "دقيقة"
}

// arCount writes n of the unit as Arabic counts it: the unit alone for 1
// ("آخر ساعة": the last hour), the dual for 2, the plural after 3 to 10,
// and the singular after 11 to 99; 0 and from 100 the plain singular.
func arCount(n int64, u arUnit) string {
	one, two, few, many := u.forms()
	switch {
	case n == 1:
		return one
	case n == 2:
		return two
	case n >= 3 && n <= 10:
		return fmt.Sprintf("%d %s", n, few)
	case n >= 11 && n <= 99:
		return fmt.Sprintf("%d %s", n, many)
	}
	return fmt.Sprintf("%d %s", n, one)
}

// lastDaysEn writes "the last day" or "the last 3 days".
func lastDaysEn(n int) string {
	if n == 1 {
		return "the last day"
	}
	return fmt.Sprintf("the last %d days", n)
}

// lastDaysAr writes "آخر يوم" or "آخر 3 أيام".
func lastDaysAr(n int) string { return "آخر " + arCount(int64(n), arDay) }

// splitDur splits d into days (only from 48 h: "30 h" reads better than
// "1 day 6 h"), hours and minutes.
func splitDur(d time.Duration) (days, h, m int64) {
	if d < 0 {
		d = 0
	}
	mins := int64(d / time.Minute)
	h, m = mins/60, mins%60
	if h >= 48 {
		days, h, m = h/24, h%24, 0
	}
	return days, h, m
}

// atEn writes t in loc (nil: UTC) as "1 Dec 2026 09:00 +03", with the
// zone's abbreviation or, where it has none, its offset: "UTC", "+03".
func atEn(t time.Time, loc *time.Location) string { return in(t, loc).Format("2 Jan 2006 15:04 MST") }

// atAr is atEn with the month's name as written in Iraq:
// "1 كانون الأول 2026 09:00 +03".
func atAr(t time.Time, loc *time.Location) string {
	t = in(t, loc)
	return fmt.Sprintf("%d %s %d %s", t.Day(), arMonths[t.Month()-1], t.Year(), t.Format("15:04 MST"))
}

// arMonths are the months' names in Iraq, from January.
var arMonths = [12]string{"كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران",
	"تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول"}

func in(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc)
}

// num writes a configured threshold as the user wrote it: 50, 0.6.
func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
