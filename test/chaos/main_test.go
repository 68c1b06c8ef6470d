package chaos

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// envChaos turns the heavy scenarios on: TAGFLOW_CHAOS=1.
const envChaos = "TAGFLOW_CHAOS"

// bins holds the binaries TestMain built for the heavy scenarios.
var bins struct {
	worker string // path of the worker binary; "" when not built
	ingest string // path of the ingest binary; "" when cmd/ingest does not exist
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv(envChaos) != "1" || testing.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "tagflow-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins.worker = filepath.Join(dir, "worker")
	if err := goBuild(bins.worker, "github.com/tagflow/tagflow/cmd/worker"); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	// The ingest command is optional: without it the scenarios run the
	// webhook handler in-process, as cmd/ingest wires it.
	if _, err := os.Stat(filepath.Join("..", "..", "cmd", "ingest", "main.go")); err == nil && os.Getenv("TAGFLOW_CHAOS_INPROC_INGEST") != "1" {
		bins.ingest = filepath.Join(dir, "ingest")
		if err := goBuild(bins.ingest, "github.com/tagflow/tagflow/cmd/ingest"); err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			return 1
		}
	}
	return m.Run()
}

func goBuild(out, pkg string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	cmd := exec.Command(goCmd, "build", "-o", out, pkg)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, strings.TrimSpace(string(b)))
	}
	return nil
}

// heavy skips a scenario unless TAGFLOW_CHAOS=1 and -short is not set.
func heavy(tb testing.TB) {
	tb.Helper()
	if os.Getenv(envChaos) != "1" {
		tb.Skipf("heavy fault scenario: run with %s=1 (make chaos)", envChaos)
	}
	if testing.Short() {
		tb.Skip("heavy fault scenario: skipped in -short mode")
	}
}

// needWorkerBinary skips when TestMain did not build the worker.
func needWorkerBinary(tb testing.TB) {
	tb.Helper()
	heavy(tb)
	if bins.worker == "" {
		tb.Fatal("worker binary was not built")
	}
}
