// Command rgbdump writes an image's packed RGB bytes, for test publishers.
package main

import (
	"fmt"
	"os"

	"osr/internal/imageio"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rgbdump IMAGE OUT")
		os.Exit(2)
	}
	im, err := imageio.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], im.Pix, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
