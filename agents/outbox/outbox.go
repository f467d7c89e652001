package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/greenpulse-health/greenpulse/reading"
)

// DefaultMaxBytes is the bound on live record bytes when Options.MaxBytes is 0.
const DefaultMaxBytes = 256 << 20

// FileName is the name of the database file inside the outbox directory.
const FileName = "outbox.db"

// lockTimeout is how long Open waits for the file lock that another process
// holds: long enough to ride out a restarting agent releasing it, short
// enough that a second agent on the same directory fails at once.
const lockTimeout = time.Second

const (
	formatVersion = 1
	keySize       = 8
	headerSize    = 1 + 8 + 1 // format, append time, stream length
	maxStreamLen  = 255
)

var (
	bucketRecords = []byte("records")
	bucketMeta    = []byte("meta")
	metaFormat    = []byte("format")
	metaCount     = []byte("count")
	metaBytes     = []byte("bytes")
)

// ErrClosed is returned by the methods of an Outbox that was closed.
var ErrClosed = errors.New("outbox closed")

// Options configures an Outbox. The zero value is usable.
type Options struct {
	// MaxBytes bounds the stored record bytes (key plus value); 0 means
	// DefaultMaxBytes. The file on disk is larger by bbolt's page overhead.
	MaxBytes int64
	// Logger receives a Warn line for every Append that dropped readings;
	// nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for append times; nil means time.Now.
	Now func() time.Time
}

// Record is one reading handed to Append: its stream and its encoded payload.
type Record struct {
	Stream reading.Stream
	Data   []byte
}

// Item is one stored record as returned by Oldest and Newest. Its Data is a
// copy the caller owns.
type Item struct {
	Seq      uint64
	Stream   reading.Stream
	Data     []byte
	Appended time.Time
}

// Stats is a snapshot of an Outbox's state.
type Stats struct {
	Readings int64     // records stored
	Bytes    int64     // live record bytes (key plus value), at most MaxBytes
	Oldest   time.Time // append time of the oldest record; zero if empty
	Dropped  uint64    // records dropped by the bound since Open
	Appended uint64    // records appended since Open
}

// Outbox is a durable FIFO of records in one bbolt file. It is safe for
// concurrent use; the intended use is one appender goroutine and one
// publisher goroutine. Writes (Append, Delete) run one at a time; reads
// (Oldest, Newest) run beside them and see the last committed state.
type Outbox struct {
	path     string
	maxBytes int64
	log      *slog.Logger
	now      func() time.Time
	notify   chan struct{}

	// db is the open file. Compaction replaces it while holding both wmu
	// and swapmu, so writers read it under wmu and readers under swapmu.
	db *bolt.DB
	// swapmu is read-locked by Oldest and Newest around their transaction
	// and write-locked by compaction only to swap db, so reads never see a
	// file that compaction closed, and otherwise never wait for a write.
	swapmu sync.RWMutex

	// wmu serialises the write transactions with the update of stats that
	// follows each of them, so stats always matches the last commit. It
	// also guards the compaction fields below.
	wmu          sync.Mutex
	compactAt    int64     // compactThreshold; tests lower it
	compactRetry time.Time // no compaction before this, after one failed
	compactions  int       // since Open, for tests
	// smu guards stats, so Stats never waits for an fsync.
	smu   sync.Mutex
	stats Stats
}

// Open opens the outbox in dir, creating dir and dir/outbox.db when missing.
// It fails after about a second when another process holds the outbox open
// (up to three seconds while that process compacts the file; see openLocked).
func Open(dir string, opt Options) (*Outbox, error) {
	if opt.MaxBytes < 0 {
		return nil, fmt.Errorf("open outbox %q: negative max bytes %d", dir, opt.MaxBytes)
	}
	if opt.MaxBytes == 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open outbox %q: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := openLocked(path)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open outbox %q: locked by another process (is another agent using this directory?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open outbox %q: %w", path, err)
	}
	o := &Outbox{
		db:        db,
		path:      path,
		maxBytes:  opt.MaxBytes,
		log:       opt.Logger,
		now:       opt.Now,
		notify:    make(chan struct{}, 1),
		compactAt: compactThreshold,
	}
	if err := db.Update(o.load); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open outbox %q: %w", path, err)
	}
	// Only now, holding the lock on the live file, is a compaction file
	// certainly a leftover rather than one that its owner is building.
	o.removeLeftover()
	return o, nil
}

// load creates the buckets of a new file, checks the format of an old one
// and reads the totals into o.stats.
func (o *Outbox) load(tx *bolt.Tx) error {
	recs, err := tx.CreateBucketIfNotExists(bucketRecords)
	if err != nil {
		return err
	}
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(metaFormat); {
	case v == nil:
		if k, _ := recs.Cursor().First(); k != nil {
			return errors.New("records without a format version")
		}
		if err := meta.Put(metaFormat, []byte{formatVersion}); err != nil {
			return err
		}
		if err := putTotals(meta, 0, 0); err != nil {
			return err
		}
	case len(v) != 1 || v[0] != formatVersion:
		return fmt.Errorf("unknown format version %v", v)
	}
	count, size, err := totals(meta)
	if err != nil {
		return err
	}
	first, _ := recs.Cursor().First()
	if (count == 0) != (first == nil) {
		// The totals are written in the same transaction as the records, so
		// this is a bug or a foreign edit; recount rather than refuse to
		// start a facility's agent.
		count, size = 0, 0
		if err := recs.ForEach(func(k, v []byte) error {
			count++
			size += int64(len(k) + len(v))
			return nil
		}); err != nil {
			return err
		}
		o.log.Warn("outbox totals did not match the records; recounted",
			"path", o.path, "readings", count, "bytes", size)
		if err := putTotals(meta, count, size); err != nil {
			return err
		}
	}
	oldest, err := oldestTime(recs)
	if err != nil {
		return err
	}
	o.stats = Stats{Readings: count, Bytes: size, Oldest: oldest}
	return nil
}

// Close closes the outbox file. It waits for running calls to finish; later
// calls return ErrClosed. It is safe to call Close more than once.
func (o *Outbox) Close() error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	if err := o.db.Close(); err != nil {
		return fmt.Errorf("close outbox %q: %w", o.path, err)
	}
	return nil
}

// Path returns the path of the database file. It is safe for concurrent use.
func (o *Outbox) Path() string { return o.path }

// Append stores recs at the tail in one transaction and returns after it is
// on disk. When the bound would be exceeded it first drops the oldest records
// in the same transaction, counts them in Stats.Dropped and logs them. A
// batch larger than the bound on its own is an error and nothing is stored;
// so is a stream name longer than 255 bytes. An empty batch does nothing.
// Append is safe for concurrent use.
func (o *Outbox) Append(recs []Record) error {
	_, err := o.AppendSeq(recs)
	return err
}

// AppendSeq is Append that also returns the sequence number of the first
// record stored; the batch's records have consecutive numbers from it. A
// caller that keeps the numbers can later ask Contains whether a record is
// still waiting. An empty batch returns 0. AppendSeq is safe for
// concurrent use.
func (o *Outbox) AppendSeq(recs []Record) (first uint64, err error) {
	if len(recs) == 0 {
		return 0, nil
	}
	var batch int64
	for i, r := range recs {
		if len(r.Stream) > maxStreamLen {
			return 0, fmt.Errorf("append to outbox %q: record %d: stream name of %d bytes exceeds %d", o.path, i, len(r.Stream), maxStreamLen)
		}
		batch += recordSize(r)
	}
	if batch > o.maxBytes {
		return 0, fmt.Errorf("append to outbox %q: batch of %d records, %d bytes, exceeds the bound of %d bytes", o.path, len(recs), batch, o.maxBytes)
	}

	o.wmu.Lock()
	defer o.wmu.Unlock()
	now := o.now()
	var (
		next        Stats
		dropped     int64
		droppedFrom time.Time
	)
	err = o.db.Update(func(tx *bolt.Tx) error {
		b, meta := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
		// Keys only ever grow, so pages split at the tail can be packed
		// full instead of bbolt's default half, which left a file 2.5 times
		// the live bytes.
		b.FillPercent = 1.0
		count, size, err := totals(meta)
		if err != nil {
			return err
		}
		if excess := size + batch - o.maxBytes; excess > 0 {
			var freed int64
			dropped, freed, droppedFrom, err = dropOldest(b, excess)
			if err != nil {
				return err
			}
			count -= dropped
			size -= freed
		}
		// bbolt keeps the key and value slices until the commit, so each
		// record gets its own part of one buffer rather than a reused one.
		buf := make([]byte, 0, batch)
		for i, r := range recs {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if i == 0 {
				first = seq
			}
			start := len(buf)
			buf = binary.BigEndian.AppendUint64(buf, seq)
			buf = encodeValue(buf, now, r)
			if err := b.Put(buf[start:start+keySize:start+keySize], buf[start+keySize:len(buf):len(buf)]); err != nil {
				return err
			}
		}
		next, err = settle(b, meta, count+int64(len(recs)), size+batch)
		return err
	})
	if err != nil {
		return 0, o.wrap("append to", err)
	}

	o.smu.Lock()
	o.stats.Readings, o.stats.Bytes, o.stats.Oldest = next.Readings, next.Bytes, next.Oldest
	o.stats.Dropped += uint64(dropped)
	o.stats.Appended += uint64(len(recs))
	o.smu.Unlock()
	if dropped > 0 {
		o.log.Warn("outbox full: dropped the oldest readings",
			"path", o.path, "dropped", dropped, "oldest_age", now.Sub(droppedFrom).Round(time.Second),
			"max_bytes", o.maxBytes)
	}
	select {
	case o.notify <- struct{}{}:
	default:
	}
	return first, nil
}

// Oldest returns up to maxItems records from the head in ascending sequence
// order, stopping before the one that would take the sum of their Data past
// maxBytes. It returns at least one record when the outbox is not empty, even
// one larger than maxBytes, so a big record cannot wedge the queue. A limit
// of 0 or less means no limit. Oldest is safe for concurrent use.
func (o *Outbox) Oldest(maxItems int, maxBytes int) ([]Item, error) {
	items, err := o.read(false, maxItems, maxBytes, func(Item) bool { return true })
	if err != nil {
		return nil, o.wrap("read oldest from", err)
	}
	return items, nil
}

// Newest returns the newest records appended after the time after, up to
// maxItems and maxBytes of Data as in Oldest, in ascending sequence order.
// It walks back from the tail and stops at the first record not appended
// after after, so a clock that stepped back may hide records older in
// sequence; Oldest still finds them. Newest is safe for concurrent use.
func (o *Outbox) Newest(maxItems int, maxBytes int, after time.Time) ([]Item, error) {
	items, err := o.read(true, maxItems, maxBytes, func(it Item) bool { return it.Appended.After(after) })
	if err != nil {
		return nil, o.wrap("read newest from", err)
	}
	slices.Reverse(items)
	return items, nil
}

// read walks the records from the head, or from the tail when fromTail,
// and collects them in the order walked until the limits of Oldest are
// reached or take refuses one.
func (o *Outbox) read(fromTail bool, maxItems, maxBytes int, take func(Item) bool) ([]Item, error) {
	var items []Item
	err := o.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		first, next := c.First, c.Next
		if fromTail {
			first, next = c.Last, c.Prev
		}
		size := 0
		for k, v := first(); k != nil; k, v = next() {
			it, err := decodeItem(k, v)
			if err != nil {
				return err
			}
			if full(len(items), size, len(it.Data), maxItems, maxBytes) || !take(it) {
				break
			}
			items = append(items, it)
			size += len(it.Data)
		}
		return nil
	})
	return items, err
}

// Contains reports for each sequence number whether its record is still
// stored: not yet deleted after the broker's acknowledgement, nor dropped
// by the bound. It reads the last committed state and is safe for
// concurrent use.
func (o *Outbox) Contains(seqs []uint64) ([]bool, error) {
	held := make([]bool, len(seqs))
	err := o.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		for i, seq := range seqs {
			held[i] = b.Get(seqKey(seq)) != nil
		}
		return nil
	})
	if err != nil {
		return nil, o.wrap("look up in", err)
	}
	return held, nil
}

// full reports whether a read that holds n items with size bytes of Data
// must stop before one more with next bytes of Data. The first item always
// fits.
func full(n, size, next, maxItems, maxBytes int) bool {
	if n == 0 {
		return false
	}
	if maxItems > 0 && n >= maxItems {
		return true
	}
	return maxBytes > 0 && size+next > maxBytes
}

// Delete removes the records with the given sequence numbers in one
// transaction and returns after it is on disk. The numbers may be any subset
// in any order; unknown or repeated ones are ignored. A Delete that leaves
// the outbox empty in a large file then compacts the file (see the package
// comment); a failed compaction is logged, not returned. Delete is safe for
// concurrent use.
func (o *Outbox) Delete(seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	o.wmu.Lock()
	defer o.wmu.Unlock()
	var (
		next   Stats
		dbSize int64
	)
	err := o.db.Update(func(tx *bolt.Tx) error {
		b, meta := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
		count, size, err := totals(meta)
		if err != nil {
			return err
		}
		removed := 0
		for _, seq := range seqs {
			k := seqKey(seq)
			v := b.Get(k)
			if v == nil {
				continue
			}
			count--
			size -= int64(len(k) + len(v))
			if err := b.Delete(k); err != nil {
				return err
			}
			removed++
		}
		if removed == 0 {
			// Nothing changed; committing an empty transaction would still
			// cost two fdatasyncs.
			return errNothing
		}
		if next, err = settle(b, meta, count, size); err != nil {
			return err
		}
		dbSize = tx.Size()
		return nil
	})
	if errors.Is(err, errNothing) {
		return nil
	}
	if err != nil {
		return o.wrap("delete from", err)
	}
	o.smu.Lock()
	o.stats.Readings, o.stats.Bytes, o.stats.Oldest = next.Readings, next.Bytes, next.Oldest
	o.smu.Unlock()
	if next.Readings == 0 {
		o.compactIfLarge(dbSize)
	}
	return nil
}

// errNothing rolls back a Delete that found none of its records.
var errNothing = errors.New("nothing to delete")

// Stats returns a snapshot of the outbox's state without touching the disk.
// It is safe for concurrent use.
func (o *Outbox) Stats() Stats {
	o.smu.Lock()
	defer o.smu.Unlock()
	return o.stats
}

// Notify returns a channel that receives a value after each successful
// Append. It has capacity 1 and Append never blocks on it, so one value may
// stand for several appends: after receiving, read until the outbox is
// empty. The channel is never closed. Notify is safe for concurrent use.
func (o *Outbox) Notify() <-chan struct{} { return o.notify }

func (o *Outbox) wrap(op string, err error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		err = ErrClosed
	}
	return fmt.Errorf("%s outbox %q: %w", op, o.path, err)
}
