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
	root := newRootCmd()
	root.SetArgs(rosArgsLast(os.Args[1:]))
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "osr:", err)
		os.Exit(1)
	}
}

// rosArgsLast puts "--" before the --ros-args section that ros2 launch and
// ros2 run append, so that the flag parser hands it to the node command as
// arguments instead of rejecting -r and --params-file.
func rosArgsLast(args []string) []string {
	for i, a := range args {
		if a == "--" {
			return args
		}
		if a == "--ros-args" {
			return append(append(append([]string{}, args[:i]...), "--"), args[i:]...)
		}
	}
	return args
}
