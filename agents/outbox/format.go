package outbox

import (
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

func putTotals(meta *bolt.Bucket, count, size int64) error {
	if err := meta.Put(metaCount, binary.BigEndian.AppendUint64(nil, uint64(count))); err != nil {
		return err
	}
	return meta.Put(metaBytes, binary.BigEndian.AppendUint64(nil, uint64(size)))
}
