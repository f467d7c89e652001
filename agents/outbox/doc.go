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
// reused, even after every record was deleted (compaction carries the
// sequence over). So a caller may keep the numbers that AppendSeq returns
// and ask Contains later whether each record still waits: the agent's waste
// entry list tells "queued" from "sent" that way. Bucket "meta" holds the
// format version and the record and byte totals, updated in the same
// transaction as the records, so Open reads two numbers instead of scanning
// the file.
//
// # Compaction
//
// bbolt never truncates its file: it returns the pages of deleted records to
// its freelist and reuses them for later appends. The bound caps the live
// bytes, so the file stops growing at about 1.25 times the bound (page and
// element overhead for records of ~150 bytes), the size of the worst outage
// it has absorbed. But bbolt writes its freelist, 8 bytes per free page, at
// every commit: after a 64 MiB backlog was drained, some 110 KiB per commit
// instead of 12 KiB, after a full default bound some 600 KiB, for as long as
// the file lasts. The freelist is kept on disk anyway, because without it
// Open would read every live page to rebuild it.
//
// So a Delete that leaves the outbox empty in a database of more than 4 MiB
// compacts it: it builds a fresh file, dir/outbox.db.compact, with empty
// buckets, the records' sequence (so numbers are never reused) and the meta
// bucket, commits it, renames it over outbox.db, fsyncs the directory, and
// switches to it. A crash at any step leaves at outbox.db either the old or
// the new file, both empty with the same sequence, and Open removes a
// leftover outbox.db.compact. A failure before the rename is logged at Warn
// and changes nothing but the retry, no sooner than ten minutes later; it
// never fails the Delete. Compaction costs that Delete a few fsyncs more
// and the unlinking of the old file (0.1 s in all for a 300 MiB file on a
// server's ext4); Append and Delete wait for it, Oldest and Newest only for
// the swap of the open file, and Stats and Notify not at all.
//
// bbolt locks the open file, not its name. The fresh file is locked before
// it is renamed, and the old one unlocked only after, so outbox.db never
// names an unlocked file while the outbox is open. The window that remains
// is another Open that was already waiting for the old file's lock: it gets
// the lock on a file no longer in the directory. Open therefore checks that
// the file it locked is the one named outbox.db, and otherwise starts over,
// and fails as locked after three replaced files or a second of waiting.
package outbox
