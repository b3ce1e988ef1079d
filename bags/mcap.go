package bags

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/foxglove/mcap/go/mcap"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"osr/msgs"
)

// ROS 2 message definitions stored as MCAP schemas (ros2msg encoding), so
// that tools such as Foxglove and ros2 bag can decode the messages.
var ros2Schemas = map[string]string{
	msgs.ROS2Image: `std_msgs/Header header
uint32 height
uint32 width
string encoding
uint8 is_bigendian
uint32 step
uint8[] data
` + ros2HeaderDefs,
	msgs.ROS2CompressedImage: `std_msgs/Header header
string format
uint8[] data
` + ros2HeaderDefs,
	msgs.ROS2String: `string data`,
}

const ros2HeaderDefs = `================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec`

// ReadMCAP reads a ROS 2 MCAP file in file order, without its index, so
// that files with a damaged summary still read; chunks that fail are
// counted and end the read.
func ReadMCAP(path string, fn func(Message) error) (ReadStats, error) {
	st := ReadStats{Compression: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return st, err
	}
	defer f.Close()
	st, err = ReadMCAPFrom(f, fn)
	if err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// maxMCAPRecord bounds one MCAP record and one decompressed chunk. Records
// inside a chunk are read after decompression, so the file size is no
// bound; without one a forged length makes the reader allocate up to 2 GiB
// per record, and a chunk of a few bytes can decompress to gigabytes.
// 64 MiB holds a chunk with an uncompressed 4K RGB image (25 MB).
const maxMCAPRecord = 64 << 20

// ReadMCAPFrom is ReadMCAP on an open stream. It walks the records with
// the mcap lexer itself (rather than mcap.Reader) to bound record sizes.
func ReadMCAPFrom(f io.Reader, fn func(Message) error) (ReadStats, error) {
	st := ReadStats{Compression: map[string]int{}}
	// Chunks are decompressed whole, up to their declared size (bounded,
	// and CRC-checked): streaming decompression would let a zstd chunk of
	// a few bytes expand into gigabytes of records.
	zr, err := newWholeZSTD()
	if err != nil {
		return st, err
	}
	defer zr.dec.Close()
	// Every chunk passes through one of these, so they count the chunks.
	count := func(name string, r mcap.ResettableReader) mcap.ResettableReader {
		return &countingReader{ResettableReader: r, n: func() { st.Chunks++; st.Compression[name]++ }}
	}
	lex, err := mcap.NewLexer(f, &mcap.LexerOptions{MaxRecordSize: maxMCAPRecord,
		ValidateChunkCRCs: true, MaxDecompressedChunkSize: maxMCAPRecord,
		Decompressors: map[mcap.CompressionFormat]mcap.ResettableReader{
			mcap.CompressionZSTD: count("zstd", zr),
			mcap.CompressionLZ4:  count("lz4", &lz4Reader{lz4.NewReader(nil)}),
			mcap.CompressionNone: count("none", &plainReader{}),
		}})
	if err != nil {
		return st, fmt.Errorf("not an MCAP file: %w", err)
	}
	defer lex.Close()
	schemas := map[uint16]*mcap.Schema{}
	channels := map[uint16]*mcap.Channel{}
	var buf []byte
	for {
		tok, rec, err := lexNext(lex, buf)
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			st.CorruptChunks++
			st.problem("after %d messages: %v", st.Messages, err)
			return st, nil
		}
		if cap(rec) > cap(buf) {
			buf = rec[:0]
		}
		switch tok {
		case mcap.TokenSchema:
			if sc, err := mcap.ParseSchema(rec); err != nil {
				st.BadRecords++
				st.problem("schema record: %v", err)
			} else {
				schemas[sc.ID] = sc
			}
		case mcap.TokenChannel:
			if ch, err := mcap.ParseChannel(rec); err != nil {
				st.BadRecords++
				st.problem("channel record: %v", err)
			} else {
				channels[ch.ID] = ch
			}
		case mcap.TokenMessage:
			msg, err := mcap.ParseMessage(rec)
			if err != nil {
				st.BadRecords++
				st.problem("message record after %d messages: %v", st.Messages, err)
				continue
			}
			ch := channels[msg.ChannelID]
			if ch == nil {
				st.BadRecords++
				st.problem("message on channel %d, which no channel record announced", msg.ChannelID)
				continue
			}
			st.Messages++
			typ := ""
			if sc := schemas[ch.SchemaID]; sc != nil {
				typ = sc.Name
			}
			if err := fn(Message{Topic: ch.Topic, Type: typ, Time: time.Unix(0, int64(msg.LogTime)),
				Data: append([]byte(nil), msg.Data...), Encoding: ch.MessageEncoding}); err != nil {
				return st, err
			}
		case mcap.TokenFooter:
			return st, nil
		}
	}
}

// wholeZSTD decompresses a zstd chunk from its compressed bytes, read in
// full (at most maxMCAPRecord) before decoding, on the calling goroutine.
// The mcap v1.7.0 lexer's own zstd reader decodes on a goroutine that goes
// on reading the file while the lexer reads the next record (a data race;
// with a chunk whose declared size ends before its zstd data, that
// goroutine eats the records after the chunk).
type wholeZSTD struct {
	dec *zstd.Decoder
	buf bytes.Buffer
}

func newWholeZSTD() (*wholeZSTD, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxMCAPRecord))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return &wholeZSTD{dec: dec}, nil
}

func (z *wholeZSTD) Reset(r io.Reader) error {
	z.buf.Reset()
	n, err := z.buf.ReadFrom(io.LimitReader(r, maxMCAPRecord+1))
	if err != nil {
		return fmt.Errorf("read zstd chunk: %w", err)
	}
	if n > maxMCAPRecord {
		return fmt.Errorf("zstd chunk data over %d MiB", maxMCAPRecord>>20)
	}
	return z.dec.Reset(bytes.NewReader(z.buf.Bytes()))
}

func (z *wholeZSTD) Read(p []byte) (int, error) { return z.dec.Read(p) }

// countingReader calls n on every chunk it is reset for.
type countingReader struct {
	mcap.ResettableReader
	n func()
}

func (c *countingReader) Reset(r io.Reader) error {
	c.n()
	return c.ResettableReader.Reset(r)
}

// lz4Reader and plainReader are the lexer's own lz4 and uncompressed chunk
// readers as ResettableReaders.
type lz4Reader struct{ *lz4.Reader }

func (l *lz4Reader) Reset(r io.Reader) error { l.Reader.Reset(r); return nil }

type plainReader struct{ io.Reader }

func (p *plainReader) Reset(r io.Reader) error { p.Reader = r; return nil }

// lexNext is lex.Next with a panic of the mcap v1.7.0 lexer turned into an
// error: a chunk whose compression-name length passes the lexer's 32-byte
// buffer slices out of range (found by FuzzReadMCAP).
func lexNext(lex *mcap.Lexer, buf []byte) (tok mcap.TokenType, rec []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed record (mcap lexer: %v)", r)
		}
	}()
	return lex.Next(buf)
}

// MCAPWriter writes ROS 2 messages (CDR) to an MCAP file.
type MCAPWriter struct {
	path, tmp string
	f         *os.File
	w         *mcap.Writer
	schemas   map[string]uint16
	channels  map[string]uint16
	seq       uint32
}

// CreateMCAP starts an MCAP file with the ros2 profile, lz4 chunks.
func CreateMCAP(path string) (*MCAPWriter, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	w, err := mcap.NewWriter(f, &mcap.WriterOptions{Chunked: true, ChunkSize: 4 << 20, Compression: mcap.CompressionLZ4, IncludeCRC: true})
	if err == nil {
		err = w.WriteHeader(&mcap.Header{Profile: "ros2", Library: "osr"})
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &MCAPWriter{path: path, tmp: f.Name(), f: f, w: w, schemas: map[string]uint16{}, channels: map[string]uint16{}}, nil
}

// Write appends msg (*msgs.Image, *msgs.CompressedImage or *msgs.String).
func (b *MCAPWriter) Write(topic string, t time.Time, msg any) error {
	var typ string
	var data []byte
	switch m := msg.(type) {
	case *msgs.Image:
		typ, data = msgs.ROS2Image, msgs.EncodeImageCDR(m)
	case *msgs.CompressedImage:
		typ, data = msgs.ROS2CompressedImage, msgs.EncodeCompressedImageCDR(m)
	case *msgs.String:
		typ, data = msgs.ROS2String, msgs.EncodeStringCDR(m.Data)
	default:
		return fmt.Errorf("mcap: cannot write %T", msg)
	}
	sid, ok := b.schemas[typ]
	if !ok {
		sid = uint16(len(b.schemas) + 1)
		if err := b.w.WriteSchema(&mcap.Schema{ID: sid, Name: typ, Encoding: "ros2msg", Data: []byte(ros2Schemas[typ])}); err != nil {
			return err
		}
		b.schemas[typ] = sid
	}
	cid, ok := b.channels[topic]
	if !ok {
		cid = uint16(len(b.channels))
		if err := b.w.WriteChannel(&mcap.Channel{ID: cid, SchemaID: sid, Topic: topic, MessageEncoding: "cdr"}); err != nil {
			return err
		}
		b.channels[topic] = cid
	}
	b.seq++
	ns := uint64(t.UnixNano())
	return b.w.WriteMessage(&mcap.Message{ChannelID: cid, Sequence: b.seq, LogTime: ns, PublishTime: ns, Data: data})
}

// Close finishes the file and moves it into place.
func (b *MCAPWriter) Close() error {
	return finishTemp(b.f, b.path, b.w.Close())
}
