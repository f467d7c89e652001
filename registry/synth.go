package registry

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// hospitalKinds are the name patterns of synthetic hospitals, with their
// usual bed range.
var hospitalKinds = [...]struct {
	en, ar           string
	minBeds, maxBeds int
}{
	{"%s General Hospital", "مستشفى %s العام", 100, 400},
	{"%s General Hospital", "مستشفى %s العام", 100, 400},
	{"%s Teaching Hospital", "مستشفى %s التعليمي", 300, 800},
	{"%s Maternity and Children Hospital", "مستشفى %s للنسائية والأطفال", 100, 300},
	{"%s Emergency Hospital", "مستشفى %s للطوارئ", 50, 150},
}

// otherKinds are the name patterns of synthetic facilities that are neither
// hospitals nor PHC centres.
var otherKinds = [...]struct{ en, ar string }{
	{"%s Dialysis Centre", "مركز %s لغسيل الكلى"},
	{"%s Blood Bank", "مصرف الدم في %s"},
	{"%s Public Health Laboratory", "مختبر الصحة العامة في %s"},
}

// Synthesize returns n valid, realistic facilities: governorates weighted by
// population, districts from the real district table, about a quarter of them
// hospitals, unique ids, coordinates near the district town. The result
// depends only on n and seed.
func Synthesize(n int, seed int64) []Facility {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6772656e70756c73)) // "grenpuls"
	var govWeights []int
	for _, g := range governorates {
		govWeights = append(govWeights, g.popK)
	}
	byGov := map[string][]district{}
	for _, d := range districts {
		byGov[d.gov] = append(byGov[d.gov], d)
	}

	out := make([]Facility, 0, n)
	counter := map[string]int{}     // "BG-H" -> last number used
	perDistrict := map[string]int{} // district+kind -> last number used
	for range n {
		g := governorates[pick(rng, govWeights)]
		ds := byGov[g.code]
		var dw []int
		for _, d := range ds {
			dw = append(dw, d.weight)
		}
		d := ds[pick(rng, dw)]

		f := Facility{Governorate: g.code, District: d.code}
		var letter string
		jitter := 0.06
		switch r := rng.Float64(); {
		case r < 0.25:
			k := hospitalKinds[rng.IntN(len(hospitalKinds))]
			f.Type, letter, jitter = TypeHospital, "H", 0.03
			f.Name, f.NameAr = numbered(perDistrict, d.code+k.en, k.en, k.ar, d)
			f.Beds = k.minBeds + rng.IntN(k.maxBeds-k.minBeds+1)
			f.PVkWp = round(20+rng.Float64()*480, 2)
		case r < 0.27:
			k := otherKinds[rng.IntN(len(otherKinds))]
			f.Type, letter = TypeOther, "O"
			f.Name, f.NameAr = numbered(perDistrict, d.code+k.en, k.en, k.ar, d)
			f.Beds = rng.IntN(21)
			f.PVkWp = round(5+rng.Float64()*55, 10)
		default:
			f.Type, letter = TypePHC, "P"
			perDistrict[d.code+"phc"]++
			k := perDistrict[d.code+"phc"]
			f.Name = fmt.Sprintf("%s PHC Centre %d", d.name, k)
			f.NameAr = fmt.Sprintf("مركز الرعاية الصحية الأولية %s %d", d.nameAr, k)
			f.Beds = rng.IntN(11) * rng.IntN(2) // half have no beds
			if rng.IntN(5) > 0 {
				f.PVkWp = round(rng.Float64()*30, 10)
			}
		}
		prefix := g.code[3:] + "-" + letter
		counter[prefix]++
		f.ID = fmt.Sprintf("%s-%03d", prefix, counter[prefix])
		f.Lat = clampRound(d.lat+(rng.Float64()*2-1)*jitter, g.minLat, g.maxLat)
		f.Lon = clampRound(d.lon+(rng.Float64()*2-1)*jitter, g.minLon, g.maxLon)
		f.DHIS2OrgUnit = uid(rng)
		out = append(out, f)
	}
	return out
}

// numbered names a facility after its district, adding a number from the
// second facility of the same kind in the same district on.
func numbered(seen map[string]int, key, en, ar string, d district) (string, string) {
	seen[key]++
	nameEn, nameAr := fmt.Sprintf(en, d.name), fmt.Sprintf(ar, d.nameAr)
	if k := seen[key]; k > 1 {
		nameEn += " " + strconv.Itoa(k)
		nameAr += " " + strconv.Itoa(k)
	}
	return nameEn, nameAr
}

// pick returns an index into weights chosen with probability proportional to
// its weight.
func pick(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	panic("registry: pick: weights changed under us")
}

// round rounds v to the nearest 1/per; dividing (rather than multiplying by
// a step such as 0.1) keeps the result the shortest decimal.
func round(v, per float64) float64 { return math.Round(v*per) / per }

// clampRound keeps v inside [lo, hi] and rounds it to five decimals (about a
// metre), which is as precise as a facility list needs.
func clampRound(v, lo, hi float64) float64 {
	return math.Round(min(max(v, lo), hi)*1e5) / 1e5
}

const uidAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// uid returns a random DHIS2-style UID: a letter, then ten letters or digits.
func uid(rng *rand.Rand) string {
	b := make([]byte, 11)
	b[0] = uidAlphabet[rng.IntN(52)]
	for i := 1; i < len(b); i++ {
		b[i] = uidAlphabet[rng.IntN(len(uidAlphabet))]
	}
	return string(b)
}

// WriteCSV writes fs as a master facility list, header first. Its output
// parses back to the same facilities.
func WriteCSV(w io.Writer, fs []Facility) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header[:]); err != nil {
		return fmt.Errorf("write facility list header: %w", err)
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, f := range fs {
		rec := []string{
			f.ID, f.Name, f.NameAr, string(f.Type), strconv.Itoa(f.Beds),
			f.Governorate, f.District, num(f.Lat), num(f.Lon), num(f.PVkWp), f.DHIS2OrgUnit,
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write facility %q: %w", f.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write facility list: %w", err)
	}
	return nil
}
