package agents

import (
	"context"
	"slices"

	"github.com/greenpulse-health/greenpulse/reading"
)

// onlyStreams returns src emitting only its readings of the given streams
// (sources.simulate.streams): a demo facility whose meters are read over
// Modbus keeps the simulator's waste without a second set of meters.
func onlyStreams(src Source, streams []string) Source {
	return filtered{Source: src, keep: streams}
}

type filtered struct {
	Source
	keep []string
}

func (f filtered) Run(ctx context.Context, emit func([]reading.Reading) error) error {
	return f.Source.Run(ctx, func(rs []reading.Reading) error {
		kept := slices.DeleteFunc(rs, func(r reading.Reading) bool { return !slices.Contains(f.keep, string(r.Stream)) })
		if len(kept) == 0 {
			return nil
		}
		return emit(kept)
	})
}
