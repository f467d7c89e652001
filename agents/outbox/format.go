package outbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/greenpulse-health/greenpulse/reading"
)

func recordSize(r Record) int64 {
	return int64(keySize + headerSize + len(r.Stream) + len(r.Data))
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, keySize), seq)
}

func encodeValue(dst []byte, t time.Time, r Record) []byte {
	dst = append(dst, formatVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.UnixNano()))
	dst = append(dst, byte(len(r.Stream)))
	dst = append(dst, r.Stream...)
	return append(dst, r.Data...)
}

// decodeTime reads the append time of the record k, v.
func decodeTime(k, v []byte) (time.Time, error) {
	if len(k) != keySize || len(v) < headerSize || v[0] != formatVersion {
		return time.Time{}, fmt.Errorf("malformed record %x", k)
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))), nil
}

// decodeItem copies the record k, v out of bbolt's memory map, which is only
// valid until the transaction ends.
func decodeItem(k, v []byte) (Item, error) {
	t, err := decodeTime(k, v)
	if err != nil {
		return Item{}, err
	}
	n := int(v[9])
	if len(v) < headerSize+n {
		return Item{}, fmt.Errorf("malformed record %x", k)
	}
	data := make([]byte, len(v)-headerSize-n)
	copy(data, v[headerSize+n:])
	return Item{
		Seq:      binary.BigEndian.Uint64(k),
		Stream:   reading.Stream(v[headerSize : headerSize+n]),
		Data:     data,
		Appended: t,
	}, nil
}

// dropOldest deletes records from the head of b until at least excess bytes
// were freed. It returns how many records and bytes went and the append time
// of the first of them.
func dropOldest(b *bolt.Bucket, excess int64) (n, freed int64, first time.Time, err error) {
	// Collect first, delete after: deleting under a moving bbolt cursor
	// skips keys.
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && freed < excess; k, v = c.Next() {
		if len(keys) == 0 {
			if first, err = decodeTime(k, v); err != nil {
				return 0, 0, time.Time{}, err
			}
		}
		keys = append(keys, bytes.Clone(k))
		freed += int64(len(k) + len(v))
	}
	if freed < excess {
		// The totals said there was more than the records hold.
		return 0, 0, time.Time{}, fmt.Errorf("bound: %d bytes to free, records hold %d", excess, freed)
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, 0, time.Time{}, err
		}
	}
	return int64(len(keys)), freed, first, nil
}

func oldestTime(b *bolt.Bucket) (time.Time, error) {
	k, v := b.Cursor().First()
	if k == nil {
		return time.Time{}, nil
	}
	return decodeTime(k, v)
}

func totals(meta *bolt.Bucket) (count, size int64, err error) {
	c, s := meta.Get(metaCount), meta.Get(metaBytes)
	if len(c) != 8 || len(s) != 8 {
		return 0, 0, errors.New("malformed totals")
	}
	return int64(binary.BigEndian.Uint64(c)), int64(binary.BigEndian.Uint64(s)), nil
}

// settle writes the totals count and size of a write transaction to meta
// and returns the Stats they make with the oldest record of recs.
func settle(recs, meta *bolt.Bucket, count, size int64) (Stats, error) {
	if err := putTotals(meta, count, size); err != nil {
		return Stats{}, err
	}
	oldest, err := oldestTime(recs)
	if err != nil {
		return Stats{}, err
	}
	return Stats{Readings: count, Bytes: size, Oldest: oldest}, nil
}

func putTotals(meta *bolt.Bucket, count, size int64) error {
	if err := meta.Put(metaCount, binary.BigEndian.AppendUint64(nil, uint64(count))); err != nil {
		return err
	}
	return meta.Put(metaBytes, binary.BigEndian.AppendUint64(nil, uint64(size)))
}
