package reading

import "unicode/utf8"

// PlainText reports whether s is valid UTF-8 of at most max runes without
// control characters other than newline and tab: what a person may type
// into a note, a comment or a name that travels with a reading or an
// alert, and that a page or a log line then shows.
func PlainText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, c := range s {
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
