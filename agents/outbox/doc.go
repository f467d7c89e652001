// Package outbox is the facility agent's durable on-disk FIFO of readings
// waiting for the MQTT broker.
//
// Sources append encoded readings; the publisher reads them from the head
// (Oldest, the backlog lane) or the tail (Newest, the fresh-first lane),
// publishes them and calls Delete once the broker acknowledged them. A
// reading therefore leaves the outbox only after it was delivered, or when
// the size bound forces the oldest out (see below): delivery is
// at-least-once, and the collector's storage is idempotent.
//
// # Durability
//
// An Append that returned is on disk: each Append call is one bbolt
// transaction, and bbolt does not return from a commit before it has
// fdatasync'ed the new pages and then the meta page that points at them.
// That is one commit (two fdatasyncs) per Append call, whatever its size:
// about 0.3 to 0.5 ms on a server's ext4, far more on an SD card, so callers
// append a tick's readings in one call rather than one call per reading. A
// SIGKILL or power loss after Append returned loses nothing (for power loss,
// as far as the storage honours flushes); one during Append loses that batch
// whole, never part of it. Delete commits the same way, so a reading deleted
// after its acknowledgement does not come back, and a crash between publish
// and Delete only re-sends it.
//
// # Bound and drops
//
// Options.MaxBytes bounds the live bytes (key plus value of each record).
// When an Append would pass it, the oldest records are dropped in the same
// transaction, before the new ones are written, counted in Stats.Dropped and
// logged at Warn with their number and the age of the oldest. Fresh data is
// worth more than a backlog that no link has carried for weeks.
//
// # On-disk format
//
// One bbolt file, dir/outbox.db, with two buckets. Bucket "records" maps an
// 8-byte big-endian sequence number to a value: format byte 1, the append
// time in Unix nanoseconds (8 bytes, big-endian), the stream's length (1
// byte), the stream, then the data. Sequence numbers come from the bucket's
// own persisted sequence, so they ascend in append order and are never
// reused, even after every record was deleted. Bucket "meta" holds the
// format version and the record and byte totals, updated in the same
// transaction as the records, so Open reads two numbers instead of scanning
// the file.
//
// The file never shrinks: bbolt returns the pages of deleted records to its
// freelist and reuses them for later appends, but does not truncate. That is
// fine here because the bound caps the live bytes, so the file stops growing
// at about 1.25 times the bound (page and element overhead for records of
// ~150 bytes), the size of the worst outage it has absorbed, and the space is
// kept for the next one. The price is that bbolt writes its freelist, 8 bytes
// per free page, at every commit: after a full 64 MiB backlog was drained,
// about 160 KiB per commit instead of about 20 KiB. The freelist is kept on
// disk anyway, because without it Open would read every live page to rebuild
// it.
package outbox
