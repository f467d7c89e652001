package outbox

// CompactSuffix and CompactRetryAfter are compactSuffix and
// compactRetryAfter, for the tests of package outbox_test.
const (
	CompactSuffix     = compactSuffix
	CompactRetryAfter = compactRetryAfter
)

// SetCompactThreshold sets the database size above which a Delete that
// empties o compacts it, so tests need not fill 4 MiB.
func SetCompactThreshold(o *Outbox, n int64) {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.compactAt = n
}

// Compactions returns how many times o was compacted since Open.
func Compactions(o *Outbox) int {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	return o.compactions
}
