// Command osr is the one binary of osr: dense open-set recognition for
// robots. Subcommands: infer, bench, train. Configuration comes from a YAML
// file (--config), then OSR_* environment variables, then flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "osr:", err)
		os.Exit(1)
	}
}
