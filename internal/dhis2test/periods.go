package dhis2test

import (
	"regexp"
	"strconv"
	"time"
)

// period is an ISO period the data value import accepts, with the date
// it starts. The formats are those of docs "Date and period format"
// (overview.md): Daily yyyyMMdd, Weekly yyyyWn (and WedWn, ThuWn, SatWn,
// SunWn), BiWeekly yyyyBiWn, Monthly yyyyMM, BiMonthly yyyyMMB, Quarterly
// yyyyQn, SixMonthly yyyySn (and AprilSn, NovSn), Yearly yyyy, financial
// years yyyyApril, yyyyJuly, yyyyOct, yyyyNov.
type period struct {
	iso   string
	start time.Time
}

var periodPatterns = []struct {
	re   *regexp.Regexp
	kind string
}{
	{regexp.MustCompile(`^(\d{4})$`), "Yearly"},
	{regexp.MustCompile(`^(\d{4})(\d{2})$`), "Monthly"},
	{regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`), "Daily"},
	{regexp.MustCompile(`^(\d{4})(Wed|Thu|Sat|Sun)?W(\d{1,2})$`), "Weekly"},
	{regexp.MustCompile(`^(\d{4})BiW(\d{1,2})$`), "BiWeekly"},
	{regexp.MustCompile(`^(\d{4})(\d{2})B$`), "BiMonthly"},
	{regexp.MustCompile(`^(\d{4})Q([1-4])$`), "Quarterly"},
	{regexp.MustCompile(`^(\d{4})(April|Nov)?S([12])$`), "SixMonthly"},
	{regexp.MustCompile(`^(\d{4})(April|July|Oct|Nov)$`), "Financial"},
}

// parsePeriod returns the period of an ISO string, or false when DHIS2
// would answer E7611 "Period not valid".
func parsePeriod(iso string) (period, bool) {
	for _, p := range periodPatterns {
		m := p.re.FindStringSubmatch(iso)
		if m == nil {
			continue
		}
		year, _ := strconv.Atoi(m[1])
		date := func(y, mo, d int) time.Time { return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC) }
		pe := period{iso: iso}
		switch p.kind {
		case "Yearly":
			pe.start = date(year, 1, 1)
		case "Monthly", "BiMonthly":
			mo, _ := strconv.Atoi(m[2])
			if p.kind == "BiMonthly" {
				if mo < 1 || mo > 6 {
					return period{}, false
				}
				mo = 2*mo - 1
			}
			if mo < 1 || mo > 12 {
				return period{}, false
			}
			pe.start = date(year, mo, 1)
		case "Daily":
			mo, _ := strconv.Atoi(m[2])
			d, _ := strconv.Atoi(m[3])
			pe.start = date(year, mo, d)
			if pe.start.Month() != time.Month(mo) || pe.start.Day() != d {
				return period{}, false
			}
		case "Weekly", "BiWeekly":
			w, _ := strconv.Atoi(m[len(m)-1])
			if p.kind == "BiWeekly" {
				w = 2*w - 1
			}
			start := isoWeekStart(year, w)
			if w < 1 || isoWeekYear(start) != year {
				return period{}, false
			}
			pe.start = start
		case "Quarterly":
			q, _ := strconv.Atoi(m[2])
			pe.start = date(year, 3*q-2, 1)
		case "SixMonthly":
			s, _ := strconv.Atoi(m[3])
			first := map[string]int{"": 1, "April": 4, "Nov": 11}[m[2]]
			pe.start = date(year, first+6*(s-1), 1)
			if m[2] == "Nov" {
				pe.start = pe.start.AddDate(-1, 0, 0)
			}
		case "Financial":
			first := map[string]int{"April": 4, "July": 7, "Oct": 10, "Nov": 11}[m[2]]
			pe.start = date(year, first, 1)
		}
		return pe, true
	}
	return period{}, false
}

// isoWeekStart returns the Monday of ISO week w of year.
func isoWeekStart(year, w int) time.Time {
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w-1))
}

func isoWeekYear(t time.Time) int {
	y, _ := t.ISOWeek()
	return y
}

// latestOpenEnd returns the last day of the latest period open for data
// entry in a data set of periodType with openFuturePeriods: the current
// period moved that many periods ahead (DataSet/DataElement
// getLatestOpenFuturePeriod). It reports false for the period types the
// double does not compute, which then skip the E7641 check.
func latestOpenEnd(periodType string, openFuture int, now time.Time) (string, time.Time, bool) {
	y, mo, d := now.Date()
	var start time.Time
	var months, days int
	switch periodType {
	case "Daily":
		start, days = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), 1
	case "Weekly":
		today := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		start, days = today.AddDate(0, 0, -((int(today.Weekday())+6)%7)), 7
	case "Monthly":
		start, months = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC), 1
	case "BiMonthly":
		start, months = time.Date(y, mo-(mo-1)%2, 1, 0, 0, 0, 0, time.UTC), 2
	case "Quarterly":
		start, months = time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, time.UTC), 3
	case "SixMonthly":
		start, months = time.Date(y, mo-(mo-1)%6, 1, 0, 0, 0, 0, time.UTC), 6
	case "Yearly":
		start, months = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), 12
	default:
		return "", time.Time{}, false
	}
	start = start.AddDate(0, months*openFuture, days*openFuture)
	end := start.AddDate(0, months, days-1)
	if months > 0 {
		end = start.AddDate(0, months, -1)
	}
	return isoOf(periodType, start), end, true
}

// isoOf names the period of periodType that starts at start.
func isoOf(periodType string, start time.Time) string {
	switch periodType {
	case "Daily":
		return start.Format("20060102")
	case "Weekly":
		y, w := start.ISOWeek()
		return strconv.Itoa(y) + "W" + strconv.Itoa(w)
	case "BiMonthly":
		return start.Format("2006") + "0" + strconv.Itoa((int(start.Month())+1)/2) + "B"
	case "Quarterly":
		return start.Format("2006") + "Q" + strconv.Itoa((int(start.Month())+2)/3)
	case "SixMonthly":
		return start.Format("2006") + "S" + strconv.Itoa((int(start.Month())+5)/6)
	case "Yearly":
		return start.Format("2006")
	}
	return start.Format("200601")
}
