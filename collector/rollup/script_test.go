package rollup

import (
	"os"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// TestWriteScript writes the reduction script for one day to the file named
// by GREENPULSE_FLUX_OUT, for timing it by hand against a database.
func TestWriteScript(t *testing.T) {
	out := os.Getenv("GREENPULSE_FLUX_OUT")
	if out == "" {
		t.Skip("set GREENPULSE_FLUX_OUT to write the script")
	}
	p := indicators.PeriodOf(indicators.Day, time.Date(2026, 11, 25, 12, 0, 0, 0, baghdad), baghdad)
	if err := os.WriteFile(out, []byte(reduceScript("greenpulse", p, 24)), 0o644); err != nil {
		t.Fatal(err)
	}
}
