// Command devstack runs the whole tagflow stack on one machine without
// Docker: an embedded NATS server with JetStream (file store in a local
// folder), the tagtog emulator with a demo project whose webhook points at
// ingest, the ingest process and one or more worker processes. With -load it
// imports a tagtog export folder, fires one created webhook per document (a
// bulk upload) and prints a summary once the queue is empty.
//
// It is what `make run` and `make run-export` start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "devstack:", err)
		return 2
	}
	st := &stack{cfg: cfg, out: stdout, errw: stderr}
	if err := st.run(ctx); err != nil {
		fmt.Fprintln(stderr, "devstack:", err)
		return 1
	}
	return 0
}
