package sweep

import (
	"sync"
	"time"
)

// Rejections counts each registry facility's rejected messages by minute,
// for the rule on repeated rejections. Only facilities in the registry are
// counted, so topics made up by a broken or hostile client cannot grow it,
// and minutes older than Keep are dropped as new ones come. It is safe for
// concurrent use.
type Rejections struct {
	known func(facility string) bool
	keep  time.Duration

	mu  sync.Mutex
	per map[string][]minuteCount
}

type minuteCount struct {
	minute int64 // Unix minutes
	n      int
}

// NewRejections counts the rejections of facilities for which known is
// true, keeping keep of history (the longest window a rule asks for).
func NewRejections(known func(facility string) bool, keep time.Duration) *Rejections {
	return &Rejections{known: known, keep: keep, per: map[string][]minuteCount{}}
}

// Rejected records a rejection of facility at at (ingest.Rejected).
func (r *Rejections) Rejected(facility string, at time.Time) {
	if !r.known(facility) {
		return
	}
	m := at.Unix() / 60
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := r.per[facility]
	if n := len(cs); n > 0 && cs[n-1].minute == m {
		cs[n-1].n++
		return
	}
	oldest := at.Add(-r.keep).Unix() / 60
	i := 0
	for i < len(cs) && cs[i].minute < oldest {
		i++
	}
	r.per[facility] = append(cs[i:], minuteCount{minute: m, n: 1})
}

// Count returns facility's rejections in the minutes from since's on.
func (r *Rejections) Count(facility string, since time.Time) int {
	from := since.Unix() / 60
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.per[facility] {
		if c.minute >= from {
			n += c.n
		}
	}
	return n
}
