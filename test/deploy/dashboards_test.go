package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDashboards(t *testing.T) {
	files, err := dashboardFiles()
	if err != nil {
		t.Fatal(err)
	}
	wantUIDs := map[string]string{
		"tagflow-overview.json": "tagflow-overview",
		"nats-jetstream.json":   "tagflow-nats-jetstream",
	}
	if len(files) != len(wantUIDs) {
		t.Errorf("%d dashboards, want %d", len(files), len(wantUIDs))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			d, err := loadDashboard(f)
			if err != nil {
				t.Fatal(err)
			}
			if d.UID != wantUIDs[name] {
				t.Errorf("uid = %q, want %q", d.UID, wantUIDs[name])
			}
			if d.Title == "" {
				t.Errorf("no title")
			}
			if d.SchemaVersion != 39 {
				t.Errorf("schemaVersion = %d, want 39", d.SchemaVersion)
			}
			hasDS := false
			for _, v := range d.Templating.List {
				if v.Name == "datasource" && v.Type == "datasource" {
					hasDS = true
				}
			}
			if !hasDS {
				t.Errorf("no datasource template variable")
			}
			ids := map[int]bool{}
			queried := 0
			for _, p := range flatPanels(d.Panels) {
				if ids[p.ID] {
					t.Errorf("panel %q: duplicate id %d", p.Title, p.ID)
				}
				ids[p.ID] = true
				if p.Title == "" {
					t.Errorf("panel %d has no title", p.ID)
				}
				if len(p.GridPos) == 0 {
					t.Errorf("panel %q has no gridPos", p.Title)
				}
				if queryless[p.Type] {
					continue
				}
				queried++
				checkDatasource(t, "panel "+p.Title, p.Datasource)
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no targets", p.Title)
				}
				refs := map[string]bool{}
				for _, tg := range p.Targets {
					if strings.TrimSpace(tg.Expr) == "" {
						t.Errorf("panel %q target %s has no expr", p.Title, tg.RefID)
					}
					if tg.RefID == "" || refs[tg.RefID] {
						t.Errorf("panel %q: missing or duplicate refId %q", p.Title, tg.RefID)
					}
					refs[tg.RefID] = true
					if tg.Datasource != nil {
						checkDatasource(t, "panel "+p.Title+" target "+tg.RefID, tg.Datasource)
					}
				}
			}
			if queried == 0 {
				t.Errorf("no panel with queries")
			}
		})
	}
}

func checkDatasource(t *testing.T, where string, ds *Datasource) {
	t.Helper()
	if ds == nil {
		t.Errorf("%s: no datasource", where)
		return
	}
	if ds.Type != "prometheus" || ds.UID != "${datasource}" {
		t.Errorf("%s: datasource = %+v, want prometheus ${datasource}", where, *ds)
	}
}

func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		Datasources []struct {
			Name, UID, Type, URL string
			IsDefault            bool `yaml:"isDefault"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(repoRoot, "grafana", "provisioning", "datasources", "prometheus.yml"), &ds)
	if len(ds.Datasources) != 1 {
		t.Fatalf("%d datasources, want 1", len(ds.Datasources))
	}
	if d := ds.Datasources[0]; d.UID != "prometheus" || d.Type != "prometheus" || d.URL != "http://prometheus:9090" || !d.IsDefault {
		t.Errorf("datasource = %+v", d)
	}

	var dp struct {
		Providers []struct {
			Folder  string `yaml:"folder"`
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(repoRoot, "grafana", "provisioning", "dashboards", "tagflow.yml"), &dp)
	if len(dp.Providers) != 1 {
		t.Fatalf("%d providers, want 1", len(dp.Providers))
	}
	if p := dp.Providers[0]; p.Folder != "tagflow" || p.Type != "file" || p.Options.Path != "/var/lib/grafana/dashboards/tagflow" {
		t.Errorf("provider = %+v", p)
	}
	// The provider reads the directory compose mounts grafana/dashboards on.
	proj := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	found := false
	for _, v := range proj.Services["grafana"].Volumes {
		if v.Target == dp.Providers[0].Options.Path {
			found = true
		}
	}
	if !found {
		t.Errorf("grafana service mounts nothing at %s", dp.Providers[0].Options.Path)
	}
}

func readYAML(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}
