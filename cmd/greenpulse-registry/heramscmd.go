package main

import (
	"fmt"
	"os"

	"github.com/greenpulse-health/greenpulse/registry/importer"
)

// importHeRAMS builds the facility list from a WHO HeRAMS export.
func (c cli) importHeRAMS(args []string) error {
	fs := c.newFlagSet("import-herams", "import-herams --in EXPORT.csv [--columns key=COLUMN,…] [--merge FILE] --out FILE\n\ncolumns (--columns overrides these; key= unmaps an optional one):\n"+importer.DescribeHeRAMSColumns())
	in := fs.String("in", "", "HeRAMS facility export, CSV with a header line (required)")
	columns := fs.String("columns", "", "column mapping key=COLUMN,… over the defaults listed above")
	mergePath := fs.String("merge", "", "existing facility list: types, beds and pv_kwp are kept from it, matched by id (or dhis2_org_unit when org_unit is mapped)")
	out := fs.String("out", "", "facility list to write, atomically (required; may be the --merge file)")
	delim := fs.String("delimiter", "auto", "field delimiter: auto, comma, semicolon or tab")
	govs := fs.String("governorates", "", "governorate overrides VALUE=IQ-XX,… for governorate values that match no governorate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return fmt.Errorf("import-herams: --in and --out are required")
	}
	cols, err := importer.ParseHeRAMSColumns(*columns)
	if err != nil {
		return fmt.Errorf("import-herams: %w", err)
	}
	opt := importer.HeRAMSOptions{Columns: cols}
	switch *delim {
	case "auto":
	case "comma", ",":
		opt.Delimiter = ','
	case "semicolon", ";":
		opt.Delimiter = ';'
	case "tab", "\t":
		opt.Delimiter = '\t'
	default:
		return fmt.Errorf("import-herams: --delimiter %q: want auto, comma, semicolon or tab", *delim)
	}
	gm := importer.NewGovernorateMatcher()
	opt.Governorates, err = parsePairs("governorates", *govs, importer.NameKey)
	if err != nil {
		return err
	}
	for k, code := range opt.Governorates {
		if opt.Governorates[k] = gm.LookupCode(code); opt.Governorates[k] == "" {
			return fmt.Errorf("--governorates: %q: want an ISO 3166-2:IQ code such as IQ-BG", code)
		}
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("import-herams: %w", err)
	}
	defer f.Close()
	src, err := importer.ReadHeRAMS(f, *in, opt, gm)
	if err != nil {
		return err
	}
	return c.finish(src, *mergePath, *out, importer.Options{MatchByID: true})
}
