package dhis2test

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authenticate checks the request's credentials against the Options and
// returns the message of the 401 WebMessage when they are refused.
//
// The messages are DHIS2's (dhis2-core, dhis-web-api security):
//   - a personal access token (users.md "Personal Access Tokens", header
//     "Authorization: ApiToken <key>") that matches none: ApiTokenAuthManager
//     throws ApiTokenErrors.invalidToken("The API token does not exists."),
//     rendered as a 401 WebMessage (asserted in ApiTokenAuthenticationTest);
//   - wrong basic credentials: DHIS2BasicAuthenticationEntryPoint writes
//     WebMessageUtils.unathorized("Unauthorized").
//
// A request with no Authorization header also gets the "Unauthorized"
// WebMessage here. Real DHIS2 2.38–2.40 answers that JSON only to an
// XMLHttpRequest and otherwise redirects to its login page, which no API
// client wants; GreenPulse always sends credentials.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "ApiToken"):
		cred = strings.TrimSpace(cred)
		if s.opt.Token != "" && subtle.ConstantTimeCompare([]byte(cred), []byte(s.opt.Token)) == 1 {
			return "", true
		}
		return "The API token does not exists.", false
	case strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if ok && s.opt.Username != "" &&
			subtle.ConstantTimeCompare([]byte(user), []byte(s.opt.Username)) == 1 &&
			subtle.ConstantTimeCompare([]byte(pass), []byte(s.opt.Password)) == 1 {
			return "", true
		}
		return "Unauthorized", false
	}
	return "Unauthorized", false
}
