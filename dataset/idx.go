package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// Images is a set of small same-sized images for image-wide recognition
// (Fashion-MNIST, MNIST): Pix holds N images of C x H x W bytes,
// channel-major, and Labels one class per image.
type Images struct {
	N, C, H, W int
	Pix        []uint8
	Labels     []uint8
}

// Image is image i's bytes, [C,H,W].
func (m *Images) Image(i int) []uint8 {
	n := m.C * m.H * m.W
	return m.Pix[i*n : (i+1)*n]
}

func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}

// ReadIDX reads an MNIST-format pair (IDX3 images and IDX1 labels, gzipped
// or not), as Fashion-MNIST and MNIST ship them.
func ReadIDX(images, labels string) (*Images, error) {
	pix, dims, err := readIDX(images, 0x803, 3)
	if err != nil {
		return nil, err
	}
	lab, ldims, err := readIDX(labels, 0x801, 1)
	if err != nil {
		return nil, err
	}
	if ldims[0] != dims[0] {
		return nil, fmt.Errorf("%s has %d images but %s %d labels", images, dims[0], labels, ldims[0])
	}
	return &Images{N: dims[0], C: 1, H: dims[1], W: dims[2], Pix: pix, Labels: lab}, nil
}

// readIDX reads one IDX file of unsigned bytes with the given magic.
func readIDX(path string, magic uint32, rank int) ([]uint8, []int, error) {
	r, err := openMaybeGzip(path)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	data, dims, err := decodeIDX(r, magic, rank)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, dims, nil
}

// decodeIDX reads an IDX stream: magic, rank big-endian dimensions, bytes.
func decodeIDX(r io.Reader, magic uint32, rank int) ([]uint8, []int, error) {
	head := make([]uint32, 1+rank)
	if err := binary.Read(r, binary.BigEndian, head); err != nil {
		return nil, nil, fmt.Errorf("IDX header: %w", err)
	}
	if head[0] != magic {
		return nil, nil, fmt.Errorf("IDX magic %#x, want %#x", head[0], magic)
	}
	dims := make([]int, rank)
	n := 1
	for i, d := range head[1:] {
		if d == 0 || d > 1<<24 {
			return nil, nil, fmt.Errorf("IDX dimension %d is %d", i, d)
		}
		dims[i] = int(d)
		n *= int(d)
		if n > 1<<30 {
			return nil, nil, fmt.Errorf("IDX of more than 1 GiB")
		}
	}
	// Read in pieces, so that a header claiming a huge size cannot make
	// a short file allocate it.
	var data []uint8
	buf := make([]uint8, min(n, 1<<20))
	for len(data) < n {
		k, err := io.ReadFull(r, buf[:min(len(buf), n-len(data))])
		data = append(data, buf[:k]...)
		if err != nil {
			return nil, nil, fmt.Errorf("IDX data: %d of %d bytes: %w", len(data), n, err)
		}
	}
	return data, dims, nil
}
