package bags

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	rosbag "github.com/foxglove/go-rosbag"
	"github.com/foxglove/mcap/go/mcap"
	"github.com/klauspost/compress/zstd"

	"osr/msgs"
)

var t0 = time.Unix(1700000000, 250000000)

func sampleImage(i int) *msgs.Image {
	data := make([]uint8, 3*8*4)
	for j := range data {
		data[j] = uint8(i*7 + j)
	}
	return &msgs.Image{Header: msgs.Header{Seq: uint32(i), Stamp: t0.Add(time.Duration(i) * 100 * time.Millisecond), FrameId: "cam"},
		Width: 8, Height: 4, Encoding: "rgb8", Step: 24, Data: data}
}

func writeSample(t *testing.T, path string, w Writer) {
	t.Helper()
	for i := range 5 {
		im := sampleImage(i)
		if err := w.Write("/camera/image_raw", im.Header.Stamp, im); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write("/note", t0, &msgs.String{Data: "hello"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, path string) ([]any, []Message, ReadStats) {
	t.Helper()
	var decoded []any
	var raw []Message
	st, err := Read(path, func(m Message) error {
		v, err := Decode(m)
		if err != nil {
			return err
		}
		decoded = append(decoded, v)
		raw = append(raw, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return decoded, raw, st
}

// checkSample checks the messages of writeSample; tools that rewrite a
// bag may order messages of equal time differently.
func checkSample(t *testing.T, decoded []any, raw []Message) {
	t.Helper()
	if len(decoded) != 6 {
		t.Fatalf("read %d messages, want 6", len(decoded))
	}
	images, strs := 0, 0
	for i, v := range decoded {
		switch m := v.(type) {
		case *msgs.Image:
			want := sampleImage(images)
			if !bytes.Equal(m.Data, want.Data) || m.Header.FrameId != "cam" || !m.Header.Stamp.Equal(want.Header.Stamp) || m.Width != 8 {
				t.Fatalf("image %d: %+v", images, m)
			}
			if !raw[i].Time.Equal(want.Header.Stamp) || raw[i].Topic != "/camera/image_raw" {
				t.Fatalf("image %d time %v topic %s", images, raw[i].Time, raw[i].Topic)
			}
			images++
		case *msgs.String:
			if m.Data != "hello" || raw[i].Topic != "/note" {
				t.Fatalf("string message %+v on %s", m, raw[i].Topic)
			}
			strs++
		}
	}
	if images != 5 || strs != 1 {
		t.Fatalf("%d images and %d strings", images, strs)
	}
}

func TestROS1RoundTripAndIndexTimes(t *testing.T) {
	for _, comp := range []string{"none", "lz4"} {
		path := filepath.Join(t.TempDir(), "x.bag")
		w, err := CreateROS1(path, comp, 0)
		if err != nil {
			t.Fatal(err)
		}
		writeSample(t, path, w)
		decoded, raw, st := readAll(t, path)
		checkSample(t, decoded, raw)
		if st.Compression[comp] != 1 || st.CorruptChunks != 0 {
			t.Errorf("%s: stats %+v", comp, st)
		}
		// The index, as go-rosbag's own indexed reader and rosbag play use it.
		f, _ := os.Open(path)
		r, err := rosbag.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		it, err := r.Messages()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for it.More() {
			_, m, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(sampleImage(0).Header.Stamp.UnixNano()); n == 0 && m.Time != want {
				t.Fatalf("%s: indexed first message time %d, want %d", comp, m.Time, want)
			}
			n++
		}
		f.Close()
		if n != 6 {
			t.Fatalf("%s: indexed reader saw %d messages", comp, n)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Errorf("temporary files left: %v", entries)
		}
	}
}

func TestMCAPRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.mcap")
	w, err := CreateMCAP(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSample(t, path, w)
	decoded, raw, st := readAll(t, path)
	checkSample(t, decoded, raw)
	if raw[0].Type != msgs.ROS2Image || raw[0].Encoding != "cdr" {
		t.Fatalf("mcap message type %s/%s", raw[0].Type, raw[0].Encoding)
	}
	if st.Chunks == 0 || st.Compression["lz4"] != st.Chunks {
		t.Errorf("chunks %d, by compression %v: our writer's lz4 chunks must be counted", st.Chunks, st.Compression)
	}
}

// rosbagTool runs Debian's rosbag on a bag, or skips.
func rosbagTool(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("rosbag"); err != nil {
		t.Skip("rosbag not installed (python3-rosbag)")
	}
	out, err := exec.Command("rosbag", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rosbag %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestReadsChunksCompressedByRealRosbag(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "x.bag")
	w, err := CreateROS1(src, "none", 0)
	if err != nil {
		t.Fatal(err)
	}
	writeSample(t, src, w)
	info := rosbagTool(t, "info", src)
	if !regexp.MustCompile(`messages:\s+6\n`).MatchString(info) || !regexp.MustCompile(`duration:\s+0.4s`).MatchString(info) ||
		!strings.Contains(info, "(1700000000.25)") {
		t.Fatalf("rosbag info does not read our index as written:\n%s", info)
	}
	for _, comp := range []string{"bz2", "lz4"} {
		outDir := filepath.Join(dir, comp)
		os.Mkdir(outDir, 0o755)
		rosbagTool(t, "compress", "--"+comp, "--output-dir", outDir, src)
		decoded, raw, st := readAll(t, filepath.Join(outDir, "x.bag"))
		checkSample(t, decoded, raw)
		if st.Compression[comp] == 0 {
			t.Fatalf("%s bag read with compression %v", comp, st.Compression)
		}
	}
}

func TestCorruptChunkIsCountedAndSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.bag")
	w, err := CreateROS1(path, "lz4", 100) // small chunks: about one message each
	if err != nil {
		t.Fatal(err)
	}
	writeSample(t, path, w)
	data, _ := os.ReadFile(path)
	// Damage the compressed payload of the second chunk.
	chunks := chunkOffsets(data)
	if len(chunks) < 3 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for i := chunks[1] + 20; i < chunks[1]+60; i++ {
		data[i] ^= 0x5a
	}
	os.WriteFile(path, data, 0o644)
	var topics []string
	st, err := Read(path, func(m Message) error { topics = append(topics, m.Topic); return nil })
	if err != nil {
		t.Fatal(err)
	}
	n := len(topics)
	if st.CorruptChunks != 1 || n < 4 || n > 5 || topics[n-1] != "/note" || len(st.Problems) == 0 {
		t.Fatalf("read %v, stats %+v: want only the damaged chunk skipped, and the chunks after it read", topics, st)
	}
}

// chunkOffsets finds the data offsets of the chunk records.
func chunkOffsets(b []byte) []int {
	var out []int
	pos := len(rosbag.Magic)
	for pos+4 <= len(b) {
		hlen := int(binary.LittleEndian.Uint32(b[pos:]))
		header := b[pos+4 : pos+4+hlen]
		dlen := int(binary.LittleEndian.Uint32(b[pos+4+hlen:]))
		if op, _ := headerValue(header, "op"); len(op) == 1 && rosbag.OpCode(op[0]) == rosbag.OpChunk {
			out = append(out, pos+8+hlen)
		}
		pos += 8 + hlen + dlen
	}
	return out
}

func TestDecodeNeverPanics(t *testing.T) {
	im := sampleImage(1)
	path := filepath.Join(t.TempDir(), "x.bag")
	w, _ := CreateROS1(path, "none", 0)
	w.Write("/i", t0, im)
	w.Close()
	_, raw, _ := readAll(t, path)
	good := raw[0]
	for i := range len(good.Data) {
		m := good
		m.Data = good.Data[:i]
		if _, err := Decode(m); err == nil {
			t.Fatalf("truncated to %d bytes decoded", i)
		}
	}
	if _, err := Decode(Message{Type: "velodyne_msgs/VelodyneScan", Encoding: "ros1"}); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("unknown type: %v", err)
	}
}

// A record whose length field claims a gigabyte (found by FuzzReadMCAP: the
// mcap reader would allocate it) is reported as corrupt without the
// allocation.
func TestMCAPForgedRecordLength(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ok.mcap")
	w, err := CreateMCAP(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write("/i", t0, sampleImage(0))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	// Keep the magic and the header record, then a message record that
	// says it is 1 GiB long.
	hdrLen := binary.LittleEndian.Uint64(data[9:17])
	forged := append([]byte(nil), data[:8+9+hdrLen]...)
	forged = append(forged, 0x05)
	forged = binary.LittleEndian.AppendUint64(forged, 1<<30)
	forged = append(forged, make([]byte, 64)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	st, err := ReadMCAPFrom(bytes.NewReader(forged), func(Message) error { return nil })
	runtime.ReadMemStats(&after)
	if err != nil || st.CorruptChunks != 1 || len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "exceeds configured maximum size") {
		t.Fatalf("stats %+v, err %v", st, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("allocated %d MiB for a forged record", grew>>20)
	}
}

// A chunk whose compression-name length is larger than the mcap lexer's
// buffer makes mcap v1.7.0 panic (found by FuzzReadMCAP); the reader counts
// it as corrupt instead.
func TestMCAPChunkCompressionLengthPanic(t *testing.T) {
	data, err := os.ReadFile("testdata/fuzz/FuzzReadMCAP/dc0b1568fa041828")
	if err != nil {
		t.Fatal(err)
	}
	// The corpus file is Go's fuzz encoding: one []byte literal.
	lit := strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[1])
	raw, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lit, "[]byte("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReadMCAPFrom(strings.NewReader(raw), func(Message) error { return nil })
	if err != nil || st.CorruptChunks != 1 || len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "mcap lexer") {
		t.Fatalf("stats %+v, err %v", st, err)
	}
}

// mcapRecord is one MCAP record: opcode, u64 length, body.
func mcapRecord(op byte, body []byte) []byte {
	return binary.LittleEndian.AppendUint64([]byte{op}, uint64(len(body)))
}

func mcapString(b []byte, s string) []byte {
	return append(binary.LittleEndian.AppendUint32(b, uint32(len(s))), s...)
}

// A zstd chunk whose stream holds far more than its declared size (a few
// bytes can expand to gigabytes of records) is read up to the declared
// size only, and what follows is counted as corrupt: a message placed
// after a megabyte of records is not reached.
func TestMCAPChunkReadsDeclaredSizeOnly(t *testing.T) {
	msg := func(seq uint32) []byte {
		b := binary.LittleEndian.AppendUint16(nil, 1)
		b = binary.LittleEndian.AppendUint32(b, seq)
		b = binary.LittleEndian.AppendUint64(b, 1)
		b = binary.LittleEndian.AppendUint64(b, 1)
		b = append(b, "hi"...) // data is the rest of the record
		return append(mcapRecord(0x05, b), b...)
	}
	channel := binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, 1), 1)
	channel = binary.LittleEndian.AppendUint32(mcapString(mcapString(channel, "/s"), "cdr"), 0)
	channelRec := append(mcapRecord(0x04, channel), channel...)
	// Between the messages, a megabyte of valid records (the channel
	// announced again and again): a streaming reader would go through it.
	first, second := msg(1), msg(2)
	stream := append([]byte(nil), first...)
	for len(stream) < 1<<20 {
		stream = append(stream, channelRec...)
	}
	stream = append(stream, second...)
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	compressed := enc.EncodeAll(stream, nil)
	chunk := binary.LittleEndian.AppendUint64(nil, 1)
	chunk = binary.LittleEndian.AppendUint64(chunk, 1)
	chunk = binary.LittleEndian.AppendUint64(chunk, uint64(len(first))) // declared: the first message only
	chunk = binary.LittleEndian.AppendUint32(chunk, crc32.ChecksumIEEE(first))
	chunk = mcapString(chunk, "zstd")
	chunk = append(binary.LittleEndian.AppendUint64(chunk, uint64(len(compressed))), compressed...)

	file := []byte("\x89MCAP0\r\n")
	hdr := mcapString(mcapString(nil, "ros2"), "test")
	file = append(append(file, mcapRecord(0x01, hdr)...), hdr...)
	schema := mcapString(mcapString(binary.LittleEndian.AppendUint16(nil, 1), "std_msgs/msg/String"), "ros2msg")
	schema = mcapString(schema, "string data")
	file = append(append(file, mcapRecord(0x03, schema)...), schema...)
	file = append(file, channelRec...)
	file = append(append(file, mcapRecord(0x06, chunk)...), chunk...)
	// After the chunk, one more message: the reader must resume right after
	// the chunk's compressed bytes (mcap's own zstd reader decoded on a
	// goroutine that went on reading the file here).
	third := msg(3)
	file = append(file, third...)

	var seqs []uint32
	st, err := ReadMCAPFrom(bytes.NewReader(file), func(m Message) error {
		seqs = append(seqs, uint32(m.Time.UnixNano()))
		return nil
	})
	if err != nil || st.Messages != 2 || st.CorruptChunks != 0 {
		t.Fatalf("read %d messages, stats %+v, err %v; want the declared first one and the one after the chunk", st.Messages, st, err)
	}
}

// Several zstd chunks in a row, as the mcap writer makes them, read whole
// and in order (the race-detector pass covers the decoder's goroutines).
func TestMCAPZSTDChunks(t *testing.T) {
	var buf bytes.Buffer
	w, err := mcap.NewWriter(&buf, &mcap.WriterOptions{Chunked: true, ChunkSize: 256, Compression: mcap.CompressionZSTD})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteHeader(&mcap.Header{Profile: "ros2"}))
	must(w.WriteSchema(&mcap.Schema{ID: 1, Name: "std_msgs/msg/String", Encoding: "ros2msg", Data: []byte("string data")}))
	must(w.WriteChannel(&mcap.Channel{ID: 1, SchemaID: 1, Topic: "/s", MessageEncoding: "cdr"}))
	const n = 200
	for i := range n {
		must(w.WriteMessage(&mcap.Message{ChannelID: 1, Sequence: uint32(i), LogTime: uint64(i + 1), Data: bytes.Repeat([]byte{byte(i)}, 40)}))
	}
	must(w.Close())
	var got []int64
	st, err := ReadMCAPFrom(bytes.NewReader(buf.Bytes()), func(m Message) error {
		got = append(got, m.Time.UnixNano())
		return nil
	})
	if err != nil || st.Messages != n || st.CorruptChunks != 0 || st.Chunks < 10 || st.Compression["zstd"] != st.Chunks {
		t.Fatalf("stats %+v, err %v; want %d messages in zstd chunks of 256 bytes, all counted", st, err, n)
	}
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("message %d has log time %d", i, v)
		}
	}
}

// A message on a channel no record announced is counted as a bad record
// and skipped; the read goes on.
func TestMCAPMessageOnUnknownChannel(t *testing.T) {
	file := []byte("\x89MCAP0\r\n")
	hdr := mcapString(mcapString(nil, "ros2"), "test")
	file = append(append(file, mcapRecord(0x01, hdr)...), hdr...)
	msg := binary.LittleEndian.AppendUint16(nil, 7)
	msg = binary.LittleEndian.AppendUint32(msg, 1)
	msg = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(msg, 1), 1)
	file = append(append(file, mcapRecord(0x05, msg)...), msg...)
	st, err := ReadMCAPFrom(bytes.NewReader(file), func(Message) error { return nil })
	if err != nil || st.Messages != 0 || st.BadRecords != 1 || !strings.Contains(strings.Join(st.Problems, ";"), "channel 7") {
		t.Fatalf("stats %+v, err %v", st, err)
	}
}
