// Command tagflowctl is tagflow's operator tool: it shows the state of the
// event stream and its consumers, lists, shows and redrives dead letters, and
// backfills a tagtog project by publishing one created event per existing
// document, so that documents imported before tagflow ran get annotated too.
//
// Every flag has an environment fallback (shown by -h) and may come before or
// after the command words: NATS_URL, TAGFLOW_STREAM and TAGFLOW_CTL_TIMEOUT for
// every command; TAGTOG_URL, TAGTOG_USERNAME and TAGTOG_PASSWORD (or
// TAGTOG_PASSWORD_FILE) for backfill.
//
// Exit codes: 0 success, 1 failure (NATS or tagtog unreachable, a dead letter
// that does not exist, a redrive that failed), 2 usage error.
//
// # Usage
//
// Stream, consumers and lag (lag = pending + ack pending):
//
//	$ tagflowctl status
//	STREAM  MESSAGES  BYTES  FIRST SEQ  LAST SEQ
//	TAGTOG  3         861    1          3
//
//	CONSUMER   PENDING  ACK PENDING  REDELIVERED  WAITING  LAG
//	annotator  3        0            0            0        3
//	exporter   not created
//
//	DEAD LETTERS (TAGTOG_DLQ): 0
//
//	$ tagflowctl status -json
//
// Dead letters:
//
//	$ tagflowctl dlq list
//	SEQ  TIME                  CONSUMER   REASON     STATUS  DELIVERIES  DOCUMENT
//	1    2024-05-06T07:08:09Z  annotator  not_found  404     1           acme/ner/aV2XWZK1V6nQQnVYy2zZFoAPkf3u-memo.txt
//	$ tagflowctl dlq show 1
//	$ tagflowctl dlq redrive 1 2
//	redriven 1: acme/ner/aV2XWZK1V6nQQnVYy2zZFoAPkf3u-memo.txt (consumer annotator, reason not_found) -> tagtog.events.created.acme.ner
//	failed 2: no dead letter with sequence 2
//	redriven 1 of 2 dead letters
//	$ tagflowctl dlq redrive -all -reason max_deliver
//
// Backfill a project (dry run first):
//
//	$ export TAGTOG_URL=https://www.tagtog.com TAGTOG_USERNAME=me TAGTOG_PASSWORD_FILE=/run/secrets/tagtog
//	$ tagflowctl backfill -owner acme -project ner -dry-run
//	$ tagflowctl backfill -owner acme -project ner
//	120 documents: 120 published, 0 duplicates
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/pkg/queue"
)

const name = "tagflowctl"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line; it exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errReported is returned by a command that has already described its
// failure on stderr; it exits with exitFailure and prints nothing more.
var errReported = errors.New("failure already reported")

// runFunc runs a command with its operands (the arguments that are not flags).
type runFunc func(ctx context.Context, operands []string) error

// command is one leaf command such as "status" or "dlq show".
type command struct {
	path     string // command words, e.g. "dlq show"
	operands string // operand synopsis, e.g. "SEQ"
	short    string // one line for the command list
	long     string // paragraph(s) for -h
	// setup defines the command's flags on fs and returns the function that
	// runs it once fs is parsed.
	setup func(a *app, fs *flag.FlagSet) runFunc
}

// app holds what every command writes to and reads from.
type app struct {
	stdout, stderr io.Writer
	lookup         config.LookupFunc
}

func commands() []command {
	return []command{statusCommand, dlqListCommand, dlqShowCommand, dlqRedriveCommand, backfillCommand}
}

// run runs tagflowctl with args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, lookup config.LookupFunc, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, lookup: lookup}
	cmds := commands()
	flagArgs, words := splitArgs(args, unionFlagKind(a, cmds))
	help := slices.ContainsFunc(flagArgs, isHelpFlag)
	if len(words) > 0 && words[0] == "help" {
		words, help = words[1:], true
		if len(words) == 0 {
			printRootUsage(stdout, cmds)
			return exitOK
		}
	}
	if len(words) == 0 {
		if help {
			printRootUsage(stdout, cmds)
			return exitOK
		}
		fmt.Fprintf(stderr, "%s: missing command\n\n", name)
		printRootUsage(stderr, cmds)
		return exitUsage
	}
	cmd, operands, ok := findCommand(cmds, words)
	if !ok {
		if words[0] == "dlq" && (len(words) == 1 || help) {
			w, code := stderr, exitUsage
			if help {
				w, code = stdout, exitOK
			} else {
				fmt.Fprintf(stderr, "%s dlq: missing command (list, show or redrive)\n\n", name)
			}
			printGroupUsage(w, cmds, "dlq")
			return code
		}
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", name, strings.Join(words, " "))
		printRootUsage(stderr, cmds)
		return exitUsage
	}
	fs := flag.NewFlagSet(name+" "+cmd.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // usage is printed below, to stdout for -h
	fs.Usage = func() {}
	runCmd := cmd.setup(a, fs)
	if help {
		printCommandUsage(stdout, cmd, fs)
		return exitOK
	}
	if err := config.Parse(fs, flagArgs, lookup); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, cmd, fs)
			return exitOK
		}
		fmt.Fprintf(stderr, "%s %s: %v\nRun '%s %s -h' for usage.\n", name, cmd.path, err, name, cmd.path)
		return exitUsage
	}
	if rest := fs.Args(); len(rest) > 0 {
		// splitArgs only hands flags to fs; leftovers mean a malformed flag list.
		operands = append(operands, rest...)
	}
	err := runCmd(ctx, operands)
	var uerr *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "%s %s: %v\nRun '%s %s -h' for usage.\n", name, cmd.path, err, name, cmd.path)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailure
	default:
		fmt.Fprintf(stderr, "%s %s: %v\n", name, cmd.path, err)
		return exitFailure
	}
}

// findCommand matches the leading words against the command paths.
func findCommand(cmds []command, words []string) (command, []string, bool) {
	for _, c := range cmds {
		p := strings.Fields(c.path)
		if len(words) >= len(p) && slices.Equal(words[:len(p)], p) {
			return c, words[len(p):], true
		}
	}
	return command{}, nil, false
}

func isHelpFlag(s string) bool {
	switch strings.TrimLeft(s, "-") {
	case "h", "help":
		return strings.HasPrefix(s, "-")
	}
	return false
}

// flagKind says whether a flag name is defined and whether it takes no value.
type flagKind func(name string) (known, isBool bool)

// unionFlagKind describes the flags of every command; flag names mean the
// same thing (and are bool or not alike) in every command that has them.
func unionFlagKind(a *app, cmds []command) flagKind {
	all := map[string]bool{"h": true, "help": true}
	for _, c := range cmds {
		fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
		c.setup(a, fs)
		fs.VisitAll(func(f *flag.Flag) {
			b, ok := f.Value.(interface{ IsBoolFlag() bool })
			all[f.Name] = all[f.Name] || ok && b.IsBoolFlag()
		})
	}
	return func(name string) (bool, bool) {
		b, ok := all[name]
		return ok, b
	}
}

// splitArgs separates flags (with their values) from the other words, so
// that flags may come before, between or after the command words and
// operands. "--" ends the flags.
func splitArgs(args []string, kind flagKind) (flags, words []string) {
	for i := 0; i < len(args); i++ {
		s := args[i]
		if s == "--" {
			words = append(words, args[i+1:]...)
			break
		}
		if len(s) < 2 || s[0] != '-' {
			words = append(words, s)
			continue
		}
		flags = append(flags, s)
		n := strings.TrimLeft(s, "-")
		if strings.Contains(n, "=") {
			continue
		}
		if known, isBool := kind(n); known && !isBool && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return flags, words
}

// natsFlags are the connection flags every command has.
type natsFlags struct {
	url     *string
	stream  *string
	timeout *time.Duration
}

func defineNATS(fs *flag.FlagSet) *natsFlags {
	d := queue.Defaults()
	return &natsFlags{
		url:     config.String(fs, "nats-url", "NATS_URL", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated"),
		stream:  config.String(fs, "stream", "TAGFLOW_STREAM", d.Stream, "JetStream event stream name"),
		timeout: config.Duration(fs, "timeout", "TAGFLOW_CTL_TIMEOUT", 10*time.Second, "how long to wait for NATS to connect and to answer each request"),
	}
}

// connect connects to NATS within the timeout. Its error names the URL with
// credentials redacted.
func (n *natsFlags) connect(ctx context.Context) (*queue.Client, error) {
	if *n.timeout <= 0 {
		return nil, usagef("-timeout must be positive, not %s", *n.timeout)
	}
	cfg := queue.Config{Stream: *n.stream}
	if err := cfg.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, *n.timeout)
	defer cancel()
	c, err := queue.Connect(cctx, *n.url, name, cfg, nil)
	if err != nil {
		if errors.Is(err, queue.ErrUnavailable) {
			return nil, fmt.Errorf("NATS unreachable at %s (no connection within %s; check -nats-url or NATS_URL)",
				queue.RedactURL(*n.url), *n.timeout)
		}
		return nil, fmt.Errorf("NATS at %s: %w", queue.RedactURL(*n.url), err)
	}
	return c, nil
}

// request returns a context bounding one NATS request.
func (n *natsFlags) request(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, *n.timeout)
}

// explain turns queue errors into operator-facing messages.
func explain(err error) error {
	switch {
	case errors.Is(err, queue.ErrNotFound):
		return fmt.Errorf("%w (ingest and worker create the streams and consumers when they start)", err)
	case errors.Is(err, queue.ErrUnavailable):
		return fmt.Errorf("%w (NATS did not answer in time)", err)
	}
	return err
}

func printRootUsage(w io.Writer, cmds []command) {
	fmt.Fprintf(w, "Usage: %s <command> [flags] [operands]\n\n", name)
	fmt.Fprintf(w, "%s inspects tagflow's JetStream streams, manages dead letters and backfills tagtog projects.\n\nCommands:\n", name)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-14s %s\n", c.path, c.short)
	}
	fmt.Fprintf(w, "\nFlags may come before or after the command. Run '%s <command> -h' for its flags.\n", name)
	fmt.Fprintf(w, "Exit codes: 0 success, 1 failure, 2 usage error.\n")
}

func printGroupUsage(w io.Writer, cmds []command, group string) {
	fmt.Fprintf(w, "Usage: %s %s <command> [flags] [operands]\n\nCommands:\n", name, group)
	for _, c := range cmds {
		if strings.HasPrefix(c.path, group+" ") {
			fmt.Fprintf(w, "  %-14s %s\n", c.path, c.short)
		}
	}
}

func printCommandUsage(w io.Writer, c command, fs *flag.FlagSet) {
	syn := name + " " + c.path + " [flags]"
	if c.operands != "" {
		syn += " " + c.operands
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n", syn, strings.TrimSpace(c.long))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
