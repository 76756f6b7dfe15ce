// Command azvalidate checks every ExternalId of a CSV, TSV or NDJSON export
// against Azotte's customer validate call. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/azotte/azvalidate/internal/cli"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal drains: the run stops reading and writes what is
		// done. A second one exits at once.
		cancel(cli.Interrupted(<-sigs))
		os.Exit(cli.Interrupted(<-sigs).ExitCode())
	}()
	env := cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(cli.Run(ctx, os.Args[1:], env))
}
