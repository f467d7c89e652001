package dhis2test

// isUID reports whether s is a DHIS2 UID: 11 characters, a letter and
// then letters or digits (CodeGenerator.isValidUid).
func isUID(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
