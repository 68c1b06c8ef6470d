package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scriptExporterFlags returns the prometheus-nats-exporter flags that
// scripts/check-deploy.sh declares in its nats_exporter_flags array.
func scriptExporterFlags(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "scripts", "check-deploy.sh"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	const prefix = "nats_exporter_flags=("
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			body, ok := strings.CutSuffix(rest, ")")
			if !ok {
				tb.Fatalf("check-deploy.sh: %q must fit on one line", line)
			}
			return strings.Fields(body)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	tb.Fatalf("check-deploy.sh declares no %s...)", prefix)
	return nil
}

// TestCheckDeployExporterFlags keeps the exporter the live check starts in
// step with the compose stack's, so that the NATS dashboard is checked
// against the series names and labels it shows in compose.
func TestCheckDeployExporterFlags(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	cmd := []string(p.Services["nats-exporter"].Command)
	if len(cmd) < 2 || cmd[0] != "-port=7777" || cmd[len(cmd)-1] != "http://nats:8222" {
		t.Fatalf("compose nats-exporter command = %q, want -port=7777 <flags> http://nats:8222", cmd)
	}
	want := cmd[1 : len(cmd)-1]
	if got := scriptExporterFlags(t); !slices.Equal(got, want) {
		t.Errorf("check-deploy.sh nats_exporter_flags = %q, compose runs %q", got, want)
	}
}
