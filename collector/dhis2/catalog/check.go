package catalog

import (
	"fmt"
	"strings"

	"github.com/greenpulse-health/greenpulse/registry"
)

// The rules for naming things in DHIS2, checked once here for the
// collector config (which names the key at fault) and for dhis2.Setup
// (which any caller may call).

// CheckOrgUnitIDScheme says what is wrong with an org unit id scheme:
// uid, code or attribute:<attribute UID>.
func CheckOrgUnitIDScheme(s string) error {
	if attr, ok := strings.CutPrefix(s, "attribute:"); (ok && registry.IsDHIS2UID(attr)) || s == "uid" || s == "code" {
		return nil
	}
	return fmt.Errorf("want uid, code or attribute:<attribute UID>, got %q", s)
}

// CheckDataElementIDScheme says what is wrong with a data element id
// scheme: uid or code.
func CheckDataElementIDScheme(s string) error {
	if s == "uid" || s == "code" {
		return nil
	}
	return fmt.Errorf("want uid or code, got %q", s)
}

// CheckDataElement says what is wrong with mapping the pushed quantity
// key to the data element id, read with scheme.
func CheckDataElement(key, id, scheme string) error {
	if _, ok := ElementByKey(key); !ok {
		var keys []string
		for _, e := range Elements() {
			keys = append(keys, e.Key)
		}
		return fmt.Errorf("is not a pushed quantity; choose one of %s", strings.Join(keys, ", "))
	}
	switch {
	case strings.TrimSpace(id) == "":
		return fmt.Errorf("want a data element UID or code, got an empty value")
	case scheme == "uid" && !registry.IsDHIS2UID(id):
		return fmt.Errorf("want a DHIS2 UID with data_element_id_scheme uid, got %q", id)
	}
	return nil
}

// ElementByKey returns the pushed quantity named key.
func ElementByKey(key string) (Element, bool) {
	for _, e := range Elements() {
		if e.Key == key {
			return e, true
		}
	}
	return Element{}, false
}
