package imageio

import "fmt"

// RGB is a packed 8-bit RGB frame, 3*Width bytes per row.
type RGB struct {
	Width, Height int
	Pix           []uint8
}

// Check reports a frame whose buffer does not match its size.
func (im RGB) Check() error {
	if im.Width <= 0 || im.Height <= 0 {
		return fmt.Errorf("image size %dx%d: must be positive", im.Width, im.Height)
	}
	if want := 3 * im.Width * im.Height; len(im.Pix) != want {
		return fmt.Errorf("image %dx%d rgb8: want %d bytes, got %d", im.Width, im.Height, want, len(im.Pix))
	}
	return nil
}
