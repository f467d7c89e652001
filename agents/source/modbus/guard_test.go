package modbus

import (
	"testing"
	"time"
)

func TestCounterGuard(t *testing.T) {
	tests := []struct {
		name     string
		values   []float64
		replaced []bool // per value; nil: never
		want     []verdict
		// maxPerHour bounds the rise per hour, plus step; values come an
		// hour apart.
		maxPerHour, step float64
	}{
		{"rising passes", []float64{10, 11, 11, 12}, nil, []verdict{pass, pass, pass, pass}, 0, 0},
		{"one bad zero is held, the next good value passes", []float64{100, 0, 101}, nil,
			[]verdict{pass, backwards, pass}, 0, 0},
		{"a new meter counting from low is accepted after confirmPolls", []float64{5000, 2, 3, 4, 5}, nil,
			[]verdict{pass, backwards, backwards, restarted, pass}, 0, 0},
		{"low values that go down are noise, not a new series", []float64{5000, 30, 2, 3, 4}, nil,
			[]verdict{pass, backwards, backwards, backwards, restarted}, 0, 0},
		{"a meter stuck at 0 is never a reset, and its return passes", []float64{5000, 0, 0, 0, 0, 0, 5000}, nil,
			[]verdict{pass, backwards, backwards, backwards, backwards, backwards, pass}, 0, 0},
		{"a stuck low value waits until it counts", []float64{5000, 3, 3, 3, 3, 3.5}, nil,
			[]verdict{pass, backwards, backwards, backwards, backwards, restarted}, 0, 0},
		{"the device says it was replaced", []float64{5000, 2, 3}, []bool{false, true, false},
			[]verdict{pass, restarted, pass}, 0, 0},
		{"replaced but higher is an ordinary reading", []float64{5, 9}, []bool{false, true},
			[]verdict{pass, pass}, 0, 0},
		{"one garbled huge value is held, the course goes on", []float64{100, 3e9, 150, 200}, nil,
			[]verdict{pass, leap, pass, pass}, 1000, 0},
		{"a rise within the bound passes", []float64{100, 1100, 2100}, nil,
			[]verdict{pass, pass, pass}, 1000, 0},
		{"a higher series that goes on counting is believed", []float64{100, 90000, 90100, 90200, 90300}, nil,
			[]verdict{pass, leap, leap, leapt, pass}, 1000, 0},
		{"no bound, no leap", []float64{100, 3e9}, nil, []verdict{pass, pass}, 0, 0},
		{"a coarse counter moves a step beyond the bound", []float64{100, 100, 100.5, 101.2}, nil,
			[]verdict{pass, pass, pass, leap}, 0.1, 0.5},
		{"time without a move widens the bound", []float64{100, 100, 100, 100.3}, nil,
			[]verdict{pass, pass, pass, pass}, 0.1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g counterGuard
			at := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
			for i, v := range tt.values {
				replaced := tt.replaced != nil && tt.replaced[i]
				at = at.Add(time.Hour)
				if got := g.check(v, at, replaced, tt.maxPerHour, tt.step); got != tt.want[i] {
					t.Fatalf("value %d (%g): verdict %d, want %d", i, v, got, tt.want[i])
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		interval time.Duration
		fails    int
		want     time.Duration
	}{
		{10 * time.Second, 1, 10 * time.Second},
		{10 * time.Second, 2, 20 * time.Second},
		{10 * time.Second, 4, 80 * time.Second},
		{10 * time.Second, 10, maxBackoff},
		{10 * time.Second, 1000, maxBackoff},
		{10 * time.Minute, 3, 10 * time.Minute}, // never below the interval
	}
	for _, tt := range tests {
		if got := backoff(tt.interval, tt.fails); got != tt.want {
			t.Errorf("backoff(%s, %d) = %s, want %s", tt.interval, tt.fails, got, tt.want)
		}
	}
}
