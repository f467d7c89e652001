package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
)

// compactThreshold is the database size (bbolt's high-water mark of pages)
// above which a Delete that empties the outbox compacts the file.
//
// An emptied file of size S has about S/4096 free pages, and bbolt writes
// the freelist, 8 bytes per free page, at every commit. One page holds the
// freelist of up to 2 MiB, so below that compaction would save nothing; at
// 4 MiB it saves one page per commit against the three (~12 KiB) that a
// small commit writes anyway, and above the saving grows with the file: a
// commit was measured at 27 pages after a 64 MiB backlog, ~600 KiB after a
// full default bound. Compaction itself costs a new file with its fsyncs, a
// directory fsync, and the file growing again through the next backlog, one
// fsync'ed truncate per doubling; 4 MiB keeps it to the aftermath of real
// outages, a backlog of some 20 000 readings, while a publisher that keeps
// up empties the outbox every tick in a file of a few dozen KiB.
const compactThreshold = 4 << 20

// compactRetryAfter is how long Delete waits after a failed compaction
// before it tries again, so a full disk or a read-only directory costs one
// Warn line per interval rather than one per Delete.
const compactRetryAfter = 10 * time.Minute

// compactSuffix names the fresh file built next to the outbox file.
const compactSuffix = ".compact"

// openAttempts bounds how often openLocked starts over after the file it
// locked turned out to have been replaced while it waited for the lock.
const openAttempts = 3

// openDB opens, or creates, the bbolt file at path with the outbox's
// options and locks it. When file is not nil it receives the file bbolt
// opened.
func openDB(path string, file **os.File) (*bolt.DB, error) {
	opt := &bolt.Options{
		Timeout: lockTimeout,
		// The map freelist finds free runs in O(1) instead of scanning an
		// array, which matters once a drained backlog left many free pages.
		FreelistType: bolt.FreelistMapType,
		// Fsync the file after it grows, so its new size survives a power
		// loss together with the pages written into it.
		NoGrowSync: false,
		// Keep the freelist on disk: without it Open would walk every live
		// page to rebuild it, up to the whole bound on a slow SD card.
		NoFreelistSync: false,
	}
	if file != nil {
		opt.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			*file = f
			return f, err
		}
	}
	return bolt.Open(path, 0o600, opt)
}

// openLocked opens and locks the outbox file at path, making sure that the
// file it locked is still the one at path. bbolt locks the open file, not
// the name, and compaction renames a new file over the old one before it
// closes, and so unlocks, the old one: an Open that was waiting for that
// lock gets it on a file no longer in the directory. openLocked closes such
// a file and starts over, which then times out on the new, locked file.
func openLocked(path string) (*bolt.DB, error) {
	for range openAttempts {
		var f *os.File
		db, err := openDB(path, &f)
		if err != nil {
			return nil, err
		}
		locked, err := f.Stat()
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		named, err := os.Stat(path)
		if err == nil && os.SameFile(locked, named) {
			return db, nil
		}
		if err := db.Close(); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("the file was replaced %d times while waiting for its lock: %w", openAttempts, bolt.ErrTimeout)
}

// view runs fn in a read transaction on the current file.
func (o *Outbox) view(fn func(*bolt.Tx) error) error {
	o.swapmu.RLock()
	defer o.swapmu.RUnlock()
	return o.db.View(fn)
}

// removeLeftover removes the compaction file of a process that stopped
// before renaming it. Failing to is no reason to refuse to open: the next
// compaction tries again.
func (o *Outbox) removeLeftover() {
	tmp := o.path + compactSuffix
	switch err := os.Remove(tmp); {
	case err == nil:
		o.log.Info("outbox: removed the leftover of an interrupted compaction", "path", tmp)
	case !errors.Is(err, fs.ErrNotExist):
		o.log.Warn("outbox: cannot remove the leftover of an interrupted compaction", "path", tmp, "err", err)
	}
}

// compactIfLarge compacts the file when the emptied database is larger than
// the threshold, unless a compaction failed recently. The caller holds wmu
// and has committed a transaction that left the outbox empty.
func (o *Outbox) compactIfLarge(dbSize int64) {
	if dbSize <= o.compactAt || o.now().Before(o.compactRetry) {
		return
	}
	if err := o.compact(); err != nil {
		o.compactRetry = o.now().Add(compactRetryAfter)
		o.log.Warn("outbox: compaction failed; keeping the large file",
			"path", o.path, "size", dbSize, "retry_after", compactRetryAfter, "err", err)
	}
}

// compact replaces the empty outbox file by a fresh one that carries over
// the records' sequence and the meta bucket. The caller holds wmu, so no
// write runs meanwhile; reads keep using the old file until the swap.
//
// The fresh file is built, committed (bbolt fdatasyncs it) and locked under
// the name outbox.db.compact, then renamed over outbox.db; the directory is
// fsync'ed before the first write goes to the new file. A crash at any
// point leaves at outbox.db either the old file or the new one, both empty
// with the same sequence, and maybe a leftover that Open removes. A failure
// before the rename leaves the old file in use and the leftover removed.
func (o *Outbox) compact() error {
	var (
		seq  uint64
		meta [][2][]byte
	)
	err := o.db.View(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bucketRecords)
		if k, _ := recs.Cursor().First(); k != nil {
			return errors.New("the outbox is not empty")
		}
		seq = recs.Sequence()
		return tx.Bucket(bucketMeta).ForEach(func(k, v []byte) error {
			meta = append(meta, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		return err
	}
	before, err := os.Stat(o.path)
	if err != nil {
		return err
	}

	tmp := o.path + compactSuffix
	db, err := buildFresh(tmp, seq, meta)
	if err == nil {
		err = os.Rename(tmp, o.path)
		if err != nil {
			err = errors.Join(err, db.Close())
		}
	}
	if err != nil {
		if rmErr := os.Remove(tmp); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, rmErr)
		}
		return err
	}

	// From here the fresh file is outbox.db, and it is locked: the old one
	// stays locked until it is closed below, so the name never points at an
	// unlocked file. There is no way back, and no need of one.
	if err := atomicfile.SyncDir(filepath.Dir(o.path)); err != nil {
		o.log.Warn("outbox: compaction: cannot sync the directory; a power loss may bring back the old file",
			"path", o.path, "err", err)
	}
	o.swapmu.Lock()
	old := o.db
	o.db = db
	o.swapmu.Unlock()
	if err := old.Close(); err != nil {
		o.log.Warn("outbox: compaction: closing the old file failed", "path", o.path, "err", err)
	}
	o.compactions++
	after := int64(-1)
	if fi, err := os.Stat(o.path); err == nil {
		after = fi.Size()
	}
	o.log.Info("outbox: compacted the emptied file", "path", o.path,
		"size_before", before.Size(), "size_after", after, "seq", seq)
	return nil
}

// buildFresh creates the bbolt file at path, removing an old one first,
// with empty records whose sequence is seq and the meta bucket's pairs, and
// returns it open, committed and locked.
func buildFresh(path string, seq uint64, meta [][2][]byte) (*bolt.DB, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	db, err := openDB(path, nil)
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		recs, err := tx.CreateBucket(bucketRecords)
		if err != nil {
			return err
		}
		if err := recs.SetSequence(seq); err != nil {
			return err
		}
		m, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for _, kv := range meta {
			if err := m.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}
