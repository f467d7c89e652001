package collector

import (
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/access"
	"github.com/greenpulse-health/greenpulse/collector/api"
)

// The API asks its Viewer about actions by name and collector/access
// answers by name: the words must be the same, or an action would be
// refused to everyone without a compile error.
var _ api.Viewer = (*access.View)(nil)

func TestViewerActionsAgree(t *testing.T) {
	for _, pair := range [][2]string{
		{api.ReadFacilities, access.ReadFacilities},
		{api.Acknowledge, access.Acknowledge},
		{api.RunRollup, access.RunRollup},
		{api.ReadDHIS2, access.ReadDHIS2},
	} {
		if pair[0] != pair[1] {
			t.Errorf("collector/api asks %q where collector/access answers %q", pair[0], pair[1])
		}
	}
}
