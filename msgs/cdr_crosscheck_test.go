package msgs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCDRMatchesFoxgloveSerializer compares osr's CDR bytes with those of
// @foxglove/rosmsg2-serialization (npm, installed by npm install as a dev
// dependency), an independent implementation, for messages whose string
// lengths exercise every padding.
func TestCDRMatchesFoxgloveSerializer(t *testing.T) {
	root, _ := filepath.Abs("..")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules/@foxglove/rosmsg2-serialization")); err != nil {
		t.Skip("@foxglove/rosmsg2-serialization not installed: run npm install --ignore-scripts")
	}
	type stamp struct {
		Sec     int32  `json:"sec"`
		Nanosec uint32 `json:"nanosec"`
	}
	type header struct {
		Stamp   stamp  `json:"stamp"`
		FrameID string `json:"frame_id"`
	}
	var reqs []map[string]any
	var want [][]byte
	for i, frame := range []string{"", "c", "ca", "cam", "camera_optical_frame"} {
		for j, enc := range []string{"rgb8", "mono8", "yuv422_yuy2", "32FC1"} {
			data := bytes.Repeat([]byte{byte(i), byte(j), 7}, i+j)
			m := &Image{Header: Header{Stamp: time.Unix(int64(1000+i), int64(j*1000)), FrameId: frame},
				Height: uint32(i), Width: uint32(j), Encoding: enc, IsBigendian: uint8(j % 2), Step: uint32(3 * j), Data: data}
			ints := make([]int, len(data))
			for k, b := range data {
				ints[k] = int(b)
			}
			reqs = append(reqs, map[string]any{"type": ROS2Image, "msg": map[string]any{
				"header": header{stamp{int32(1000 + i), uint32(j * 1000)}, frame}, "height": i, "width": j,
				"encoding": enc, "is_bigendian": j % 2, "step": 3 * j, "data": ints}})
			want = append(want, EncodeImageCDR(m))
		}
		c := &CompressedImage{Header: Header{Stamp: time.Unix(5, 6), FrameId: frame}, Format: "jpeg", Data: []byte{0xff, 0xd8, byte(i)}}
		reqs = append(reqs, map[string]any{"type": ROS2CompressedImage, "msg": map[string]any{
			"header": header{stamp{5, 6}, frame}, "format": "jpeg", "data": []int{0xff, 0xd8, i}}})
		want = append(want, EncodeCompressedImageCDR(c))
		reqs = append(reqs, map[string]any{"type": ROS2String, "msg": map[string]any{"data": frame}})
		want = append(want, EncodeStringCDR(frame))
	}
	in, _ := json.Marshal(reqs)
	cmd := exec.Command("node", "testdata/cdr/serialize.js")
	cmd.Dir = root
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node serializer: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(want) {
		t.Fatalf("serializer returned %d messages for %d", len(lines), len(want))
	}
	for i, line := range lines {
		got, _ := hex.DecodeString(line)
		if !bytes.Equal(got, want[i]) {
			t.Errorf("message %d (%v):\n foxglove %x\n osr      %x", i, reqs[i]["type"], got, want[i])
		}
	}
}
