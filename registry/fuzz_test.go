package registry

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	good := strings.Join(goodFields, ",")
	for _, s := range []string{
		"",
		hdr,
		hdr + "\n" + good + "\n",
		"\ufeff" + hdr + "\r\n" + good + "\r\n\r\n",
		hdr + "\n" + good + "\n" + good + "\n",
		hdr + "\nX,\"a\nb\",c,phc,0,IQ-BA,BA-BSR,30.5,47.8,NaN,\n",
		hdr + "\nX,a,b,phc,1e3,IQ-BG,BG-KRK,33.3,44.3,0x10,\n",
		hdr + "\nX,\"a\"b,c\n",
	} {
		f.Add([]byte(s))
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Synthesize(5, 1)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	if b, err := os.ReadFile("../configs/facilities.csv"); err == nil {
		f.Add(b[:min(len(b), 2000)])
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := Parse(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if reg != nil {
				t.Fatal("Parse returned both a registry and an error")
			}
			return
		}
		fs := reg.Facilities()
		if len(fs) == 0 || reg.Len() != len(fs) {
			t.Fatalf("registry of %d facilities, Len %d", len(fs), reg.Len())
		}
		for _, fac := range fs {
			if err := fac.Validate(); err != nil {
				t.Fatalf("accepted facility %+v fails Validate: %v", fac, err)
			}
			if got, ok := reg.Lookup(fac.ID); !ok || got != fac {
				t.Fatalf("Lookup(%q) = %+v, %v", fac.ID, got, ok)
			}
		}
		var out bytes.Buffer
		if err := WriteCSV(&out, fs); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(&out, "again.csv")
		if err != nil {
			t.Fatalf("written registry does not parse: %v", err)
		}
		if !reflect.DeepEqual(again.Facilities(), fs) {
			t.Fatal("round trip through WriteCSV changed the facilities")
		}
	})
}
