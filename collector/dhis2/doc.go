// Package dhis2 is GreenPulse's side of DHIS2: the data elements and
// indicators it defines there (catalog/catalog.go), their creation by
// setup, the monthly dataValueSets document built from the indicator
// bucket, the push that sends it in chunks and names every conflict, the
// push log, metrics and the monthly schedule.
//
//	indicator bucket ─► Build (document.go) ─► Pusher.Push (push.go) ─► POST /api/dataValueSets
//	                                                    │
//	                                          Log (pushlog.go), Metrics ─► dashboard, Prometheus
//
// DHIS2 sums data values up its org-unit hierarchy, so only extensive
// quantities are pushed; ratios are DHIS2 indicators over them, and
// DHIS2's area figures equal GreenPulse's. Conformance is to DHIS2
// 2.38–2.41's documented behaviour, tested against internal/dhis2test.
package dhis2
