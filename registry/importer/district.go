package importer

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/greenpulse-health/greenpulse/registry"
)

// districtKey identifies one source district: a district key within a
// governorate.
type districtKey struct{ gov, key string }

// resolveDistricts returns the district code of each candidate. For each
// source district it tries, in order, and takes the first code that no
// other district took and that the merge file does not use in another
// governorate:
//
//  1. the source's own code (a DHIS2 district's code), if it is a valid
//     id and no other source district has it;
//  2. the code the merge file gives every facility of that district
//     (so that a re-import keeps the districts it had);
//  3. the registry's district table, by name, in the same governorate;
//  4. the derived code (governorate letters and the district's UID or
//     name), stable across imports.
//
// A candidate with no district takes its merge-file row's district, or
// "<governorate letters>-UNKNOWN".
func (m *merger) resolveDistricts(cands []Candidate, matchOf []int) []string {
	reserved := map[string]string{} // code -> governorate, from the merge file
	for _, f := range m.base {
		if _, ok := reserved[f.District]; !ok {
			reserved[f.District] = f.Governorate
		}
	}
	type info struct {
		d          District
		mergeCodes map[string]bool
	}
	byKey := map[districtKey]*info{}
	codeUse := map[string]int{}
	for i, c := range cands {
		if c.District.Key == "" || c.Governorate == "" {
			continue
		}
		k := districtKey{c.Governorate, c.District.Key}
		in := byKey[k]
		if in == nil {
			in = &info{d: c.District, mergeCodes: map[string]bool{}}
			byKey[k] = in
			if c.District.Code != "" {
				codeUse[c.District.Code]++
			}
		}
		if j := matchOf[i]; j >= 0 && m.base[j].Governorate == c.Governorate {
			in.mergeCodes[m.base[j].District] = true
		}
	}
	table := map[string]map[string]string{} // governorate -> name key -> code
	for _, d := range registry.Districts() {
		if table[d.Governorate] == nil {
			table[d.Governorate] = map[string]string{}
		}
		table[d.Governorate][nameKey(d.Name)] = d.Code
		table[d.Governorate][nameKey(d.NameAr)] = d.Code
	}

	keys := make([]districtKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b districtKey) int { return cmp.Or(cmp.Compare(a.gov, b.gov), cmp.Compare(a.key, b.key)) })
	taken := map[string]districtKey{}
	code := map[districtKey]string{}
	free := func(k districtKey, c string) bool {
		if c == "" || !registry.IsID(c) {
			return false
		}
		if g, ok := reserved[c]; ok && g != k.gov {
			return false
		}
		owner, ok := taken[c]
		return !ok || owner == k
	}
	for _, k := range keys {
		in := byKey[k]
		var choices []string
		if codeUse[in.d.Code] == 1 {
			choices = append(choices, in.d.Code)
		}
		if len(in.mergeCodes) == 1 {
			for c := range in.mergeCodes {
				choices = append(choices, c)
			}
		}
		choices = append(choices, table[k.gov][nameKey(in.d.Name)], in.d.Derived)
		for _, c := range choices {
			if free(k, c) {
				code[k] = c
				taken[c] = k
				break
			}
		}
		if code[k] == "" {
			// Derived codes are unique by construction; this is only
			// reached if the merge file uses one in another governorate.
			c := fmt.Sprintf("%s-%08x", govLetters(k.gov), fnv32(k.gov+"/"+k.key))
			code[k], taken[c] = c, k
		}
	}

	out := make([]string, len(cands))
	for i, c := range cands {
		switch {
		case c.District.Key != "" && c.Governorate != "":
			out[i] = code[districtKey{c.Governorate, c.District.Key}]
		case matchOf[i] >= 0 && m.base[matchOf[i]].Governorate == c.Governorate:
			out[i] = m.base[matchOf[i]].District
		case c.Governorate != "":
			out[i] = govLetters(c.Governorate) + "-UNKNOWN"
		}
	}
	return out
}

// govLetters returns "BG" for "IQ-BG".
func govLetters(code string) string {
	_, letters, ok := strings.Cut(code, "-")
	if !ok {
		return code
	}
	return letters
}

// derivedDistrictCode returns the code a district gets when nothing better
// is known: the governorate's letters and part, a UID or a name, made of
// letters and digits ("BG-a1B2c3D4e5F", "BG-ALKARKH"), or a short hash for
// a name with no Latin letters.
func derivedDistrictCode(gov, part string) string {
	var b strings.Builder
	for _, r := range part {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" || len(s) > 40 {
		s = fmt.Sprintf("D%08x", fnv32(part))
	}
	return govLetters(gov) + "-" + s
}

// fnv32 hashes s, for codes that must be stable across runs.
func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s)) // never fails
	return h.Sum32()
}
