// Command tagflow-bench measures tagflow on the machine it runs on and
// prints one table: the ingest server against raw JetStream publishes, the
// builtin annotator's words per second per core, and end-to-end documents
// per second and annotation latency through the emulator, ingest, JetStream
// and worker processes. The table is also written as JSON under -out.
//
// Run it from the module root (`make bench`); it builds the ingest and
// worker binaries when -bin does not hold them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the parsed flags plus the sizes they imply.
type options struct {
	export, out, bin, profile string
	e2eSource, sections       string
	docs, annDocs             int
	quick                     bool
	loadTime, annTime         time.Duration
	e2eTimeout                time.Duration
	work                      string
	log                       io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "tagflow-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("tagflow-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{log: stderr}
	fs.StringVar(&o.export, "export", "", "tagtog export folder: real news texts for the annotator (and -e2e-source export)")
	fs.IntVar(&o.docs, "docs", 2000, "documents per end-to-end scenario")
	fs.BoolVar(&o.quick, "quick", false, "small sizes and short runs (a smoke test, under a minute)")
	fs.StringVar(&o.out, "out", "bench/results", "folder the JSON result is written to")
	fs.StringVar(&o.bin, "bin", "bin", "folder with the ingest and worker binaries (built into a temporary folder when missing)")
	fs.StringVar(&o.profile, "profile", "", "folder for CPU profiles of the annotator and of the in-process side (emulator) of the first end-to-end scenario")
	fs.StringVar(&o.e2eSource, "e2e-source", "generated", "end-to-end documents: generated (news-like, ~400 words) or export (the -export folder, loaded as often as needed)")
	fs.StringVar(&o.sections, "sections", "ingest,annotator,e2e", "comma-separated sections to run")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	docsSet := false
	fs.Visit(func(f *flag.Flag) { docsSet = docsSet || f.Name == "docs" })
	o.loadTime, o.annTime, o.annDocs = 5*time.Second, 3*time.Second, 200
	if o.quick {
		o.loadTime, o.annTime, o.annDocs = time.Second, 500*time.Millisecond, 50
		if !docsSet {
			o.docs = 200
		}
	}
	if o.docs < 1 {
		return nil, fmt.Errorf("-docs must be at least 1")
	}
	switch o.e2eSource {
	case "generated":
	case "export":
		if o.export == "" {
			return nil, errors.New("-e2e-source export needs -export")
		}
	default:
		return nil, fmt.Errorf("-e2e-source %q: want generated or export", o.e2eSource)
	}
	o.e2eTimeout = max(2*time.Minute, time.Duration(o.docs)*50*time.Millisecond)
	return o, nil
}

func (o *options) has(section string) bool {
	for _, s := range strings.Split(o.sections, ",") {
		if strings.TrimSpace(s) == section {
			return true
		}
	}
	return false
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
	}
	o.work, err = os.MkdirTemp("", "tagflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(o.work)

	rep := &report{Time: time.Now().UTC().Truncate(time.Second), Quick: o.quick, Machine: describeMachine()}
	var binDir string
	if o.has("ingest") || o.has("e2e") {
		dir, cleanup, err := ensureBinaries(ctx, o.bin, stderr)
		if err != nil {
			return err
		}
		defer cleanup()
		binDir = dir
	}
	if o.has("ingest") {
		fmt.Fprintf(stderr, "ingest vs raw JetStream (%s per run)\n", o.loadTime)
		if rep.Ingest, err = benchIngest(ctx, o, binDir); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if o.profile != "" {
			if err := profileIngest(ctx, o); err != nil {
				return fmt.Errorf("ingest profile: %w", err)
			}
		}
	}
	if o.has("annotator") {
		fmt.Fprintln(stderr, "builtin annotator, one goroutine")
		if rep.Annotator, err = benchAnnotator(ctx, o); err != nil {
			return fmt.Errorf("annotator: %w", err)
		}
	}
	if o.has("e2e") {
		fmt.Fprintf(stderr, "end to end, %d documents per scenario\n", o.docs)
		if rep.E2E, err = benchE2E(ctx, o, binDir); err != nil {
			return fmt.Errorf("end to end: %w", err)
		}
		if o.profile != "" {
			if err := profileWorker(ctx, o); err != nil {
				return fmt.Errorf("worker profile: %w", err)
			}
		}
	}
	rep.Table = buildTable(rep)
	printTable(stdout, rep)
	path, err := writeJSON(o.out, rep)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten to %s\n", path)
	return nil
}
