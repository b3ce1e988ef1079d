package bags

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/bluenviron/goroslib/v2/pkg/msgproc"
	"github.com/bluenviron/goroslib/v2/pkg/protocommon"
	rosbag "github.com/foxglove/go-rosbag"
	"github.com/pierrec/lz4/v4"
)

// maxRecord bounds one record, so that a corrupt length cannot allocate
// gigabytes.
const maxRecord = 1 << 30

// ReadROS1 reads a ROS 1 bag linearly, record by record. Chunks may be
// plain, bz2 or lz4; a chunk that fails to decompress or parse is counted
// and skipped.
func ReadROS1(path string, fn func(Message) error) (ReadStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return ReadStats{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ReadStats{}, err
	}
	st, err := ReadROS1From(bufio.NewReaderSize(f, 1<<20), info.Size(), fn)
	if err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// ReadROS1From reads a ROS 1 bag of size bytes from r.
func ReadROS1From(r io.Reader, size int64, fn func(Message) error) (ReadStats, error) {
	st := ReadStats{Compression: map[string]int{}}
	magic := make([]byte, len(rosbag.Magic))
	if _, err := io.ReadFull(r, magic); err != nil || !bytes.Equal(magic, rosbag.Magic) {
		return st, fmt.Errorf("not a ROS 1 bag (no %q header)", bytes.TrimSpace(rosbag.Magic))
	}
	remaining := size - int64(len(magic))
	conns := map[uint32]*rosbag.Connection{}
	for {
		op, rec, err := readRecord(r, remaining)
		remaining -= int64(len(rec))
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			st.BadRecords++
			st.problem("record after %d messages: %v", st.Messages, err)
			return st, nil // a truncated tail ends the bag, keeping what was read
		}
		switch op {
		case rosbag.OpConnection:
			if c, err := parseConnection(rec); err == nil {
				conns[c.Conn] = c
			} else {
				st.BadRecords++
			}
		case rosbag.OpChunk:
			st.Chunks++
			if err := readChunk(rec, conns, &st, fn); err != nil {
				return st, err
			}
		case rosbag.OpMessageData:
			if err := emit(rec, conns, &st, fn); err != nil {
				return st, err
			}
		}
	}
}

// readRecord reads one record of at most limit bytes and returns its op
// and the whole record as go-rosbag's parsers take them. Lengths are
// checked against limit before anything is allocated.
func readRecord(r io.Reader, limit int64) (rosbag.OpCode, []byte, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return 0, nil, err
	}
	hlen := binary.LittleEndian.Uint32(lenBuf[:])
	if int64(hlen)+8 > limit || hlen > maxRecord {
		return 0, nil, fmt.Errorf("header length %d exceeds the %d bytes left", hlen, limit)
	}
	rec := make([]byte, 4+hlen+4)
	copy(rec, lenBuf[:])
	if _, err := io.ReadFull(r, rec[4:]); err != nil {
		return 0, nil, fmt.Errorf("truncated header: %w", io.ErrUnexpectedEOF)
	}
	dlen := binary.LittleEndian.Uint32(rec[4+hlen:])
	if int64(hlen)+8+int64(dlen) > limit || dlen > maxRecord {
		return 0, nil, fmt.Errorf("data length %d exceeds the %d bytes left", dlen, limit)
	}
	rec = append(rec, make([]byte, dlen)...)
	if _, err := io.ReadFull(r, rec[8+hlen:]); err != nil {
		return 0, nil, fmt.Errorf("truncated data: %w", io.ErrUnexpectedEOF)
	}
	opv, err := headerValue(rec[4:4+hlen], "op")
	if err != nil || len(opv) != 1 {
		return 0, nil, fmt.Errorf("record without op")
	}
	return rosbag.OpCode(opv[0]), rec, nil
}

func readChunk(rec []byte, conns map[uint32]*rosbag.Connection, st *ReadStats, fn func(Message) error) error {
	hlen := binary.LittleEndian.Uint32(rec)
	header := rec[4 : 4+hlen]
	data := rec[8+hlen:]
	comp, _ := headerValue(header, "compression")
	sizeB, err := headerValue(header, "size")
	if err != nil || len(sizeB) != 4 {
		st.CorruptChunks++
		st.problem("chunk %d: no size", st.Chunks)
		return nil
	}
	size := binary.LittleEndian.Uint32(sizeB)
	if size > maxRecord {
		st.CorruptChunks++
		st.problem("chunk %d: size %d", st.Chunks, size)
		return nil
	}
	st.Compression[string(comp)]++
	var plain []byte
	switch string(comp) {
	case "none":
		plain = data
	case "bz2":
		plain, err = io.ReadAll(io.LimitReader(bzip2.NewReader(bytes.NewReader(data)), int64(size)+1))
	case "lz4":
		// Read, rather than allocate the size the header claims: a corrupt
		// header must not cost memory.
		plain, err = io.ReadAll(io.LimitReader(lz4.NewReader(bytes.NewReader(data)), int64(size)+1))
	default:
		err = fmt.Errorf("unsupported compression %q", comp)
	}
	if err == nil && uint32(len(plain)) != size {
		err = fmt.Errorf("decompressed %d bytes, header says %d", len(plain), size)
	}
	if err != nil {
		st.CorruptChunks++
		st.problem("chunk %d: %v", st.Chunks, err)
		return nil
	}
	inner := bytes.NewReader(plain)
	for inner.Len() > 0 {
		op, r, err := readRecord(inner, int64(inner.Len()))
		if err != nil {
			st.CorruptChunks++
			st.problem("chunk %d: %v", st.Chunks, err)
			return nil
		}
		switch op {
		case rosbag.OpConnection:
			if c, err := parseConnection(r); err == nil {
				conns[c.Conn] = c
			} else {
				st.BadRecords++
			}
		case rosbag.OpMessageData:
			if err := emit(r, conns, st, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func emit(rec []byte, conns map[uint32]*rosbag.Connection, st *ReadStats, fn func(Message) error) error {
	m, err := parseMessage(rec)
	if err != nil {
		st.BadRecords++
		return nil
	}
	c, ok := conns[m.Conn]
	if !ok {
		st.BadRecords++
		st.problem("message on unknown connection %d", m.Conn)
		return nil
	}
	st.Messages++
	return fn(Message{Topic: c.Topic, Type: c.Data.Type, Time: time.Unix(0, int64(m.Time)), // go-rosbag gives Unix ns
		Data: m.Data, Encoding: "ros1"})
}

// headerValue finds key in a record header (fields of u32 length, then
// key=value). Unlike go-rosbag's GetHeaderValue it checks every length, so
// a damaged header is an error, not a panic.
func headerValue(header []byte, key string) ([]byte, error) {
	for len(header) >= 4 {
		n := binary.LittleEndian.Uint32(header)
		if uint64(n) > uint64(len(header)-4) {
			return nil, fmt.Errorf("header field length %d exceeds the header", n)
		}
		field := header[4 : 4+n]
		header = header[4+n:]
		if k, v, ok := bytes.Cut(field, []byte("=")); ok && string(k) == key {
			return v, nil
		}
	}
	return nil, fmt.Errorf("header has no %q", key)
}

// parseConnection and parseMessage call go-rosbag's parsers, which index
// without checking lengths; a damaged record becomes an error.
func parseConnection(rec []byte) (c *rosbag.Connection, err error) {
	defer recoverAs(&err, "connection record")
	return rosbag.ParseConnection(rec)
}

func parseMessage(rec []byte) (m *rosbag.Message, err error) {
	defer recoverAs(&err, "message record")
	return rosbag.ParseMessage(rec)
}

func recoverAs(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("damaged %s: %v", what, r)
	}
}

// DecodeROS1 decodes a ROS 1 serialised message into dst (a pointer to a
// msgs type). Malformed data is an error, never a panic.
func DecodeROS1(data []byte, dst any) (err error) {
	defer recoverAs(&err, "ROS 1 message")
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], uint32(len(data)))
	return protocommon.MessageDecode(io.MultiReader(bytes.NewReader(l[:]), bytes.NewReader(data)), dst)
}

// ROS1Writer writes a ROS 1 bag with go-rosbag, then fixes its index: the
// library stores index times as raw Unix nanoseconds, where the format
// (and rosbag play) expects seconds and nanoseconds.
type ROS1Writer struct {
	path, tmp string
	f         *os.File
	w         *rosbag.Writer
	conns     map[string]uint32
}

// CreateROS1 starts a bag; compression is "none" or "lz4". chunkSize 0
// keeps go-rosbag's default.
func CreateROS1(path, compression string, chunkSize int) (*ROS1Writer, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	opts := []rosbag.WriterOption{rosbag.WithCompression(compression)}
	if chunkSize > 0 {
		opts = append(opts, rosbag.WithChunksize(chunkSize))
	}
	w, err := rosbag.NewWriter(f, opts...)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &ROS1Writer{path: path, tmp: f.Name(), f: f, w: w, conns: map[string]uint32{}}, nil
}

// Write appends msg (a pointer to a msgs type) on topic at time t.
func (b *ROS1Writer) Write(topic string, t time.Time, msg any) error {
	conn, ok := b.conns[topic]
	if !ok {
		v := reflect.ValueOf(msg)
		if v.Kind() != reflect.Pointer || v.IsNil() {
			return fmt.Errorf("bag %s: write %T: want a pointer to a message", b.path, msg)
		}
		val := v.Elem().Interface() // msgproc takes the struct itself
		typ, err := msgproc.Type(val)
		if err != nil {
			return err
		}
		md5, err := msgproc.MD5(val)
		if err != nil {
			return err
		}
		def, err := msgproc.Definition(val)
		if err != nil {
			return err
		}
		conn = uint32(len(b.conns))
		b.conns[topic] = conn
		if err := b.w.WriteConnection(&rosbag.Connection{Conn: conn, Topic: topic, Data: rosbag.ConnectionHeader{
			Topic: topic, Type: typ, MD5Sum: md5, MessageDefinition: []byte(def),
		}}); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := protocommon.MessageEncode(&buf, msg); err != nil {
		return err
	}
	return b.w.WriteMessage(&rosbag.Message{Conn: conn, Time: uint64(t.UnixNano()), Data: buf.Bytes()[4:]})
}

// Close finishes the bag, fixes the index times and moves it into place.
func (b *ROS1Writer) Close() error {
	err := b.w.Close()
	if err == nil {
		err = fixIndexTimes(b.f)
	}
	return finishTemp(b.f, b.path, err)
}

// finishTemp syncs and closes a temporary file and renames it to path,
// unless err (or any step) failed, in which case it is removed.
func finishTemp(f *os.File, path string, err error) error {
	defer os.Remove(f.Name())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// fixIndexTimes rewrites, in place, the time of every index data entry
// from Unix nanoseconds to ROS time (uint32 secs, uint32 nsecs).
func fixIndexTimes(f *os.File) error {
	pos := int64(len(rosbag.Magic))
	var lenBuf [4]byte
	for {
		if _, err := f.ReadAt(lenBuf[:], pos); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		hlen := int64(binary.LittleEndian.Uint32(lenBuf[:]))
		header := make([]byte, hlen)
		if _, err := f.ReadAt(header, pos+4); err != nil {
			return err
		}
		if _, err := f.ReadAt(lenBuf[:], pos+4+hlen); err != nil {
			return err
		}
		dlen := int64(binary.LittleEndian.Uint32(lenBuf[:]))
		dataPos := pos + 8 + hlen
		if op, _ := headerValue(header, "op"); len(op) == 1 && rosbag.OpCode(op[0]) == rosbag.OpIndexData {
			data := make([]byte, dlen)
			if _, err := f.ReadAt(data, dataPos); err != nil {
				return err
			}
			for i := 0; i+12 <= len(data); i += 12 {
				ns := binary.LittleEndian.Uint64(data[i:])
				binary.LittleEndian.PutUint32(data[i:], uint32(ns/1e9))
				binary.LittleEndian.PutUint32(data[i+4:], uint32(ns%1e9))
			}
			if _, err := f.WriteAt(data, dataPos); err != nil {
				return err
			}
		}
		pos = dataPos + dlen
	}
}
