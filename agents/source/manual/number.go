package manual

import (
	"regexp"
	"strconv"
	"strings"
)

// Typed numbers: what staff type for a meter reading, on the command line
// (log-meter --value) or on the agent's page, whose parseNumber in
// web/page/static/page.js follows the same rules and answers the same
// kinds of NumberError.
//
// A typed number is digits (Western 0-9, Arabic-Indic ٠-٩ or Extended
// Arabic-Indic ۰-۹) with at most one decimal separator between digits: a
// point, a comma or the Arabic decimal separator ٫. Nothing else is read
// as a number: no sign (a reading is never negative), no thousands
// separators, no exponent, no hex, no inf or NaN. A comma followed by
// exactly three digits and nothing else ("12,400") is refused: some write
// it for 12400, others for 12.4.

// NumberError is a typed number that ParseTypedNumber refuses, with the
// rule it breaks.
type NumberError struct {
	Value string // as typed
	// Kind is what is wrong, as the page's parser names it: "empty",
	// "comma" (ambiguous), "grouping" (thousands separators), "exponent",
	// "hex", "not_finite", "sign" or "digits" (anything else).
	Kind    string
	Message string
}

func (e *NumberError) Error() string { return strconv.Quote(e.Value) + ": " + e.Message }

// blanks are trimmed from a typed number's ends; between digits they are
// thousands separators, like the apostrophe and the Arabic thousands
// separator ٬. page.js lists the same characters.
const blanks = " \t\r\n\u00a0\u2009\u202f"

var (
	typedNumber   = regexp.MustCompile(`^[0-9]+([.,٫][0-9]+)?$`)
	typedComma    = regexp.MustCompile(`^[0-9]+,[0-9]{3}$`)
	typedGrouping = regexp.MustCompile(`^[0-9]+([.,٫'٬ \t\r\n\x{a0}\x{2009}\x{202f}]+[0-9]+)+$`)
	typedExponent = regexp.MustCompile(`^[0-9.,٫]*[0-9][0-9.,٫]*[eE][+-]?[0-9]+$`)
	typedHex      = regexp.MustCompile(`^[+-]?0[xX]`)
	typedInfNaN   = regexp.MustCompile(`^[+-]?(?i:inf|infinity|nan)$`)
)

// ParseTypedNumber reads a number as staff type it from a meter's display
// (see above for what it accepts). A number it refuses comes back as a
// *NumberError that names it and says how to write it.
func ParseTypedNumber(s string) (float64, error) {
	t := strings.Trim(s, blanks)
	// Arabic-Indic digits become Western ones; everything else stays, for
	// the patterns to judge.
	d := strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		}
		return r
	}, t)
	refuse := func(kind, message string) (float64, error) {
		return 0, &NumberError{Value: s, Kind: kind, Message: message}
	}
	switch {
	case d == "":
		return refuse("empty", "type the number shown on the display")
	case typedComma.MatchString(d):
		whole, frac, _ := strings.Cut(d, ",")
		thousands, _ := strconv.ParseFloat(whole+frac, 64)
		decimal, _ := strconv.ParseFloat(whole+"."+frac, 64)
		return refuse("comma", "write "+num(thousands)+" or "+num(decimal)+": a comma here is ambiguous")
	case typedNumber.MatchString(d):
		v, err := strconv.ParseFloat(strings.NewReplacer(",", ".", "٫", ".").Replace(d), 64)
		if err != nil {
			// The pattern allows only what ParseFloat reads; too many digits
			// give ±Inf with an error, which the pattern cannot rule out.
			return refuse("digits", "too many digits; write the number on the display, such as 12400.5")
		}
		return v, nil
	case typedHex.MatchString(d):
		return refuse("hex", "write the number in decimal digits, such as 12400.5")
	case typedInfNaN.MatchString(d):
		return refuse("not_finite", "not a number; write the number on the display, such as 12400.5")
	case strings.HasPrefix(d, "-") || strings.HasPrefix(d, "+"):
		return refuse("sign", "write the number without a sign: a reading is never negative")
	case typedExponent.MatchString(d):
		return refuse("exponent", "write the number in full, without an exponent, such as 1000 for 1e3")
	case typedGrouping.MatchString(d):
		return refuse("grouping", "write the number without thousands separators, with at most one decimal point, such as 12400.5")
	}
	return refuse("digits", "write the number on the display, such as 12400.5")
}
