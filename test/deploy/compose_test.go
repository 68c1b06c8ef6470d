package deploy

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads compose files (relative to the repository root) the way
// `docker compose` does, with env as the only environment.
func loadCompose(tb testing.TB, files []string, env map[string]string, profiles ...string) (*types.Project, error) {
	tb.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(repoRoot, f))
	}
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(paths,
		cli.WithWorkingDirectory(repoRoot),
		cli.WithEnv(envList),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		tb.Fatalf("compose options: %v", err)
	}
	return opts.LoadProject(context.Background())
}

// mustLoadCompose is loadCompose that fails the test on error.
func mustLoadCompose(tb testing.TB, files []string, env map[string]string, profiles ...string) *types.Project {
	tb.Helper()
	p, err := loadCompose(tb, files, env, profiles...)
	if err != nil {
		tb.Fatalf("load %v: %v", files, err)
	}
	return p
}

func keys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func env(s types.ServiceConfig, name string) (string, bool) {
	v, ok := s.Environment[name]
	if !ok || v == nil {
		return "", ok
	}
	return *v, true
}

func TestComposeServices(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)

	want := []string{"grafana", "ingest", "nats", "nats-exporter", "prometheus", "tagtog-emulator", "worker"}
	if got := keys(p.Services); !slices.Equal(got, want) {
		t.Errorf("default services = %v, want %v", got, want)
	}
	if got := keys(p.DisabledServices); !slices.Equal(got, []string{"tagflowctl"}) {
		t.Errorf("services behind a profile = %v, want [tagflowctl]", got)
	}
	tools := mustLoadCompose(t, []string{"docker-compose.yml"}, nil, "tools")
	if _, ok := tools.Services["tagflowctl"]; !ok {
		t.Errorf("profile tools does not enable tagflowctl")
	}
	for name, s := range p.Services {
		if s.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("%s: restart = %q, want unless-stopped", name, s.Restart)
		}
	}
}

func TestComposeHealthchecks(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	tests := []struct {
		service string
		test    []string
	}{
		{"nats", []string{"CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8222/healthz?js-enabled-only=true"}},
		{"ingest", []string{"CMD", "/usr/local/bin/ingest", "healthcheck", "http://127.0.0.1:8080/readyz"}},
		{"worker", []string{"CMD", "/usr/local/bin/worker", "healthcheck", "http://127.0.0.1:9091/readyz"}},
		{"tagtog-emulator", []string{"CMD", "/usr/local/bin/tagtog-emulator", "healthcheck", "http://127.0.0.1:8081/healthz"}},
		{"prometheus", []string{"CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/ready"}},
		{"grafana", []string{"CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/api/health"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := p.Services[tt.service]
			if s.HealthCheck == nil || s.HealthCheck.Disable {
				t.Fatalf("no healthcheck")
			}
			if got := []string(s.HealthCheck.Test); !slices.Equal(got, tt.test) {
				t.Errorf("test = %q, want %q", got, tt.test)
			}
			if s.HealthCheck.Interval == nil || s.HealthCheck.Retries == nil || s.HealthCheck.Timeout == nil {
				t.Errorf("interval, timeout and retries must be explicit")
			}
		})
	}
}

func TestComposeDependsOn(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	want := map[string]map[string]string{
		"nats":            {},
		"nats-exporter":   {"nats": types.ServiceConditionHealthy},
		"ingest":          {"nats": types.ServiceConditionHealthy},
		"tagtog-emulator": {"ingest": types.ServiceConditionHealthy},
		"worker":          {"nats": types.ServiceConditionHealthy, "tagtog-emulator": types.ServiceConditionHealthy},
		"prometheus": {
			"ingest": types.ServiceConditionStarted, "worker": types.ServiceConditionStarted,
			"nats-exporter": types.ServiceConditionStarted,
		},
		"grafana": {"prometheus": types.ServiceConditionHealthy},
	}
	for name, deps := range want {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{}
			for dep, d := range p.Services[name].DependsOn {
				got[dep] = d.Condition
			}
			if !mapsEqual(got, deps) {
				t.Errorf("depends_on = %v, want %v", got, deps)
			}
			for dep, cond := range deps {
				if cond == types.ServiceConditionHealthy && p.Services[dep].HealthCheck == nil {
					t.Errorf("waits for %s to be healthy, but %s has no healthcheck", dep, dep)
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestComposeWorkerScales(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	w := p.Services["worker"]
	if w.ContainerName != "" {
		t.Errorf("worker has container_name %q: --scale would fail", w.ContainerName)
	}
	if len(w.Ports) != 0 {
		t.Errorf("worker publishes ports %v: --scale would collide on the host", w.Ports)
	}
	if w.Deploy == nil || w.Deploy.Replicas == nil || *w.Deploy.Replicas != 2 {
		t.Errorf("worker deploy.replicas = %v, want 2", w.Deploy)
	}
	if w.StopGracePeriod == nil || time.Duration(*w.StopGracePeriod) != 45*time.Second {
		t.Errorf("worker stop_grace_period = %v, want 45s (worker grace 30s + margin)", w.StopGracePeriod)
	}
	if g, _ := env(w, "TAGFLOW_SHUTDOWN_GRACE"); g != "30s" {
		t.Errorf("worker TAGFLOW_SHUTDOWN_GRACE = %q, want 30s", g)
	}
}

func TestComposePorts(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	tests := []struct {
		service string
		ports   []string // host_ip:published->target
	}{
		{"nats", []string{"127.0.0.1:4222->4222", "127.0.0.1:8222->8222"}},
		{"nats-exporter", nil},
		{"ingest", []string{":8080->8080"}},
		{"tagtog-emulator", []string{":8081->8081"}},
		{"worker", nil},
		{"prometheus", []string{":9090->9090"}},
		{"grafana", []string{":3000->3000"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			var got []string
			for _, pc := range p.Services[tt.service].Ports {
				got = append(got, pc.HostIP+":"+pc.Published+"->"+strconv.FormatUint(uint64(pc.Target), 10))
			}
			if !slices.Equal(got, tt.ports) {
				t.Errorf("ports = %v, want %v", got, tt.ports)
			}
		})
	}
}

func TestComposeVolumes(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	if got, want := keys(p.Volumes), []string{"grafana-data", "nats-data", "prometheus-data"}; !slices.Equal(got, want) {
		t.Errorf("volumes = %v, want %v", got, want)
	}
	tests := []struct {
		service, source, target string
		readOnly                bool
	}{
		{"nats", "nats-data", "/data", false},
		{"prometheus", "prometheus-data", "/prometheus", false},
		{"grafana", "grafana-data", "/var/lib/grafana", false},
		{"prometheus", "deployments/prometheus", "/etc/prometheus", true},
		{"grafana", "grafana/provisioning", "/etc/grafana/provisioning", true},
		{"grafana", "grafana/dashboards", "/var/lib/grafana/dashboards/tagflow", true},
	}
	for _, tt := range tests {
		t.Run(tt.service+" "+tt.target, func(t *testing.T) {
			for _, v := range p.Services[tt.service].Volumes {
				if v.Target != tt.target {
					continue
				}
				src := v.Source
				if v.Type == types.VolumeTypeBind {
					abs, _ := filepath.Abs(filepath.Join(repoRoot, tt.source))
					if src != abs {
						t.Errorf("source = %q, want %q", src, abs)
					}
					if _, err := os.Stat(src); err != nil {
						t.Errorf("bind source missing: %v", err)
					}
				} else if src != tt.source {
					t.Errorf("source = %q, want %q", src, tt.source)
				}
				if v.ReadOnly != tt.readOnly {
					t.Errorf("read_only = %v, want %v", v.ReadOnly, tt.readOnly)
				}
				return
			}
			t.Errorf("no volume mounted at %s", tt.target)
		})
	}
}

// pinned matches an image reference with an explicit tag that names a version.
var pinned = regexp.MustCompile(`^[a-z0-9./-]+:[A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*$`)

func TestComposeImagesPinned(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil, "tools")
	for name, s := range p.Services {
		if s.Build != nil {
			// Locally built tagflow images: tagged with TAGFLOW_VERSION
			// (default "dev"), built from the target named after the service.
			if s.Image != "tagflow/"+name+":dev" {
				t.Errorf("%s: image = %q, want tagflow/%s:dev", name, s.Image, name)
			}
			if s.Build.Target != name {
				t.Errorf("%s: build target = %q, want %q", name, s.Build.Target, name)
			}
			continue
		}
		if !pinned.MatchString(s.Image) || strings.HasSuffix(s.Image, ":latest") {
			t.Errorf("%s: image %q is not pinned to a version tag", name, s.Image)
		}
	}
}

func TestDockerfileTargets(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, "deployments", "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	from := regexp.MustCompile(`(?i)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?`)
	targets := map[string]string{}
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		lines = append(lines, line)
		if m := from.FindStringSubmatch(line); m != nil && m[2] != "" {
			targets[m[2]] = m[1]
		}
	}
	for _, want := range []string{"ingest", "worker", "tagtog-emulator", "tagflowctl"} {
		if targets[want] != "runtime" {
			t.Errorf("target %s: FROM %q, want FROM runtime", want, targets[want])
		}
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w`, "--mount=type=cache,target=/go/pkg/mod",
		"--mount=type=cache,target=/root/.cache/go-build", "ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot",
		"USER 65532:65532",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// Every compose healthcheck runs a binary that its image contains.
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	for name, s := range p.Services {
		if s.Build == nil || s.HealthCheck == nil {
			continue
		}
		bin := s.HealthCheck.Test[1]
		if !strings.Contains(text, "COPY --from=build /out/"+name+" "+bin) {
			t.Errorf("%s: healthcheck runs %s, which the %s target does not install", name, bin, name)
		}
	}
}

func TestComposeEnvironment(t *testing.T) {
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, map[string]string{
		"TAGFLOW_WEBHOOK_USER": "hook", "TAGFLOW_WEBHOOK_PASSWORD": "s3cret", "TAGFLOW_CONCURRENCY": "16",
	})
	tests := []struct {
		service, name, want string
	}{
		{"ingest", "NATS_URL", "nats://nats:4222"},
		{"ingest", "TAGFLOW_LISTEN", ":8080"},
		{"ingest", "TAGFLOW_WEBHOOK_USER", "hook"},
		{"ingest", "TAGFLOW_WEBHOOK_PASSWORD", "s3cret"},
		{"worker", "NATS_URL", "nats://nats:4222"},
		{"worker", "TAGTOG_URL", "http://tagtog-emulator:8081"},
		{"worker", "TAGTOG_USERNAME", "demo"},
		{"worker", "TAGTOG_PASSWORD", "demo-password"},
		{"worker", "TAGFLOW_CONCURRENCY", "16"},
		{"worker", "TAGFLOW_ANNOTATOR", "builtin"},
		{"worker", "TAGFLOW_MODEL_URL", ""},
		{"worker", "TAGFLOW_OFFSET_UNIT", "utf16"},
		{"worker", "TAGFLOW_METRICS_LISTEN", ":9091"},
		{"tagtog-emulator", "TAGFLOW_LISTEN", ":8081"},
		{"tagtog-emulator", "TAGTOG_USERNAME", "demo"},
		{"tagtog-emulator", "TAGTOG_PASSWORD", "demo-password"},
		{"tagtog-emulator", "TAGTOG_EMULATOR_WEBHOOK_URL", "http://ingest:8080/webhook"},
		{"tagtog-emulator", "TAGTOG_EMULATOR_WEBHOOK_USER", "hook"},
		{"tagtog-emulator", "TAGTOG_EMULATOR_WEBHOOK_PASSWORD", "s3cret"},
		{"grafana", "GF_AUTH_ANONYMOUS_ENABLED", "true"},
		{"grafana", "GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer"},
		{"grafana", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", "/var/lib/grafana/dashboards/tagflow/tagflow-overview.json"},
	}
	for _, tt := range tests {
		t.Run(tt.service+" "+tt.name, func(t *testing.T) {
			got, ok := env(p.Services[tt.service], tt.name)
			if !ok {
				t.Fatalf("not set")
			}
			if got != tt.want {
				t.Errorf("= %q, want %q", got, tt.want)
			}
		})
	}
	// The home dashboard exists where the grafana service mounts the dashboards.
	if _, err := os.Stat(filepath.Join(repoRoot, "grafana", "dashboards", "tagflow-overview.json")); err != nil {
		t.Errorf("home dashboard: %v", err)
	}
}

func TestComposeRealTagtogOverride(t *testing.T) {
	files := []string{"docker-compose.yml", "deployments/compose/real-tagtog.yml"}
	if _, err := loadCompose(t, files, nil); err == nil || !strings.Contains(err.Error(), "TAGTOG_URL") {
		t.Errorf("override without TAGTOG_URL: err = %v, want a required-variable error naming TAGTOG_URL", err)
	}
	p := mustLoadCompose(t, files, map[string]string{
		"TAGTOG_URL": "https://tagtog.example", "TAGTOG_USERNAME": "alice", "TAGTOG_PASSWORD": "pw",
	})
	if _, ok := p.Services["tagtog-emulator"]; ok {
		t.Errorf("the emulator still starts with the real-tagtog override")
	}
	w := p.Services["worker"]
	if got, _ := env(w, "TAGTOG_URL"); got != "https://tagtog.example" {
		t.Errorf("worker TAGTOG_URL = %q", got)
	}
	if got, _ := env(w, "TAGTOG_USERNAME"); got != "alice" {
		t.Errorf("worker TAGTOG_USERNAME = %q", got)
	}
	got := map[string]string{}
	for dep, d := range w.DependsOn {
		got[dep] = d.Condition
	}
	want := map[string]string{"nats": types.ServiceConditionHealthy, "ingest": types.ServiceConditionHealthy}
	if !mapsEqual(got, want) {
		t.Errorf("worker depends_on = %v, want %v", got, want)
	}
}
