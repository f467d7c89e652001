package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateThenCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := run([]string{"generate", "-n", "300", "-seed", "7", "-o", path}, nil); err != nil {
		t.Fatalf("generate: %v", err)
	}
	var out bytes.Buffer
	if err := run([]string{"check", path}, &out); err != nil {
		t.Fatalf("check: %v", err)
	}
	if !strings.HasPrefix(out.String(), "300 facilities in 18 governorates, ") {
		t.Errorf("check printed %q", out.String())
	}
}

func TestCheckReportsErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.csv")
	body := "id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit\n" +
		"A,a,b,phc,x,IQ-BG,BG-KRK,33.3,44.3,0,\n" +
		"B,a,b,clinic,0,IQ-BG,BG-KRK,33.3,44.3,0,\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"check", path}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "bad.csv:2: beds:") || !strings.Contains(err.Error(), "bad.csv:3: type:") {
		t.Errorf("check error = %v, want both bad rows", err)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"check"}, {"generate", "-n", "0"}} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
