// Package deploy checks the deployment files of tagflow: the compose stack,
// the Grafana dashboards, the Prometheus configuration and rules, and the
// Kubernetes manifests. It is a separate module so that the heavy modules
// these checks need (compose-go, prometheus, kustomize) stay out of the
// product's go.mod.
//
// Its tests are static and fast, except the TestLive* tests, which run only with
// TAGFLOW_LIVE=1 against a Prometheus that scrapes a running stack
// (scripts/check-deploy.sh sets that up).
package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// repoRoot is the repository root, relative to this package's directory.
const repoRoot = "../.."

// Query is one PromQL expression found in a dashboard or a rules file.
type Query struct {
	Source string // file and location, for messages
	Expr   string // the expression as written
	Panel  bool   // a dashboard panel query (must return series on a live stack)
	Board  string // dashboard uid for panel queries
}

// Dashboard is the part of a Grafana dashboard JSON these checks read.
type Dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []Panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

// Panel is a dashboard panel; rows may nest panels.
type Panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *Datasource     `json:"datasource"`
	Targets    []Target        `json:"targets"`
	Panels     []Panel         `json:"panels"`
	GridPos    json.RawMessage `json:"gridPos"`
}

// Datasource is a panel's or a target's data source reference.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string      `json:"refId"`
	Expr       string      `json:"expr"`
	Datasource *Datasource `json:"datasource"`
}

// queryless lists the panel types that carry no Prometheus query.
var queryless = map[string]bool{"row": true, "text": true, "alertlist": true, "dashlist": true, "news": true}

// dashboardFiles returns the dashboard JSON files, sorted.
func dashboardFiles() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "grafana", "dashboards", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no dashboards under grafana/dashboards")
	}
	sort.Strings(files)
	return files, nil
}

// loadDashboard decodes one dashboard file.
func loadDashboard(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// flatPanels returns every panel of d, rows' nested panels included.
func flatPanels(ps []Panel) []Panel {
	var out []Panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatPanels(p.Panels)...)
	}
	return out
}

// grafanaVars replaces Grafana's template variables by values a plain
// Prometheus accepts, so that dashboard queries can be parsed and evaluated.
var grafanaVars = strings.NewReplacer(
	"${__rate_interval}", "1m", "$__rate_interval", "1m",
	"${__interval}", "1m", "$__interval", "1m",
	"${__range}", "1h", "$__range", "1h",
	"${stream}", ".*", "$stream", ".*",
)

// Substitute returns expr with Grafana's variables replaced.
func Substitute(expr string) string { return grafanaVars.Replace(expr) }

// dashboardQueries returns every panel query of every dashboard.
func dashboardQueries() ([]Query, error) {
	files, err := dashboardFiles()
	if err != nil {
		return nil, err
	}
	var qs []Query
	for _, f := range files {
		d, err := loadDashboard(f)
		if err != nil {
			return nil, err
		}
		for _, p := range flatPanels(d.Panels) {
			for _, t := range p.Targets {
				qs = append(qs, Query{
					Source: fmt.Sprintf("%s panel %q target %s", filepath.Base(f), p.Title, t.RefID),
					Expr:   t.Expr, Panel: true, Board: d.UID,
				})
			}
		}
	}
	return qs, nil
}

// VarQuery is a dashboard's query template variable of the form
// label_values(<series selector>, <label>), which Grafana answers from
// Prometheus' label values API.
type VarQuery struct {
	Source string // file and variable, for messages
	Board  string // dashboard uid
	Match  string // the series selector
	Label  string // the label whose values fill the variable
}

// labelValues matches label_values(<selector>, <label>).
var labelValues = regexp.MustCompile(`^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// ParseLabelValues splits a label_values(<selector>, <label>) variable
// definition; ok is false for any other form.
func ParseLabelValues(def string) (match, label string, ok bool) {
	m := labelValues.FindStringSubmatch(def)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// VarQueries returns the label_values query variables of every dashboard.
// A query variable of another form is an error: the live check could not
// evaluate it.
func VarQueries() ([]VarQuery, error) {
	files, err := dashboardFiles()
	if err != nil {
		return nil, err
	}
	var vs []VarQuery
	for _, f := range files {
		d, err := loadDashboard(f)
		if err != nil {
			return nil, err
		}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			src := fmt.Sprintf("%s variable %q", filepath.Base(f), v.Name)
			match, label, ok := ParseLabelValues(v.Definition)
			if !ok {
				return nil, fmt.Errorf("%s: definition %q is not label_values(<selector>, <label>)", src, v.Definition)
			}
			vs = append(vs, VarQuery{Source: src, Board: d.UID, Match: match, Label: label})
		}
	}
	return vs, nil
}

// RuleFile is the part of a Prometheus rules file these checks read.
type RuleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string            `yaml:"record"`
			Alert  string            `yaml:"alert"`
			Expr   string            `yaml:"expr"`
			For    string            `yaml:"for"`
			Labels map[string]string `yaml:"labels"`
			Annots map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// rulesPath is the tagflow rules file.
var rulesPath = filepath.Join(repoRoot, "deployments", "prometheus", "tagflow.rules.yml")

// loadRules decodes the tagflow rules file.
func loadRules() (*RuleFile, error) {
	b, err := os.ReadFile(rulesPath)
	if err != nil {
		return nil, err
	}
	var rf RuleFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		return nil, fmt.Errorf("%s: %w", rulesPath, err)
	}
	return &rf, nil
}

// ruleQueries returns the expression of every recording and alerting rule.
func ruleQueries() ([]Query, error) {
	rf, err := loadRules()
	if err != nil {
		return nil, err
	}
	var qs []Query
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			name := r.Record
			if name == "" {
				name = r.Alert
			}
			qs = append(qs, Query{Source: fmt.Sprintf("tagflow.rules.yml %s/%s", g.Name, name), Expr: r.Expr})
		}
	}
	return qs, nil
}

// AllQueries returns every PromQL expression of the dashboards and rules.
func AllQueries() ([]Query, error) {
	d, err := dashboardQueries()
	if err != nil {
		return nil, err
	}
	r, err := ruleQueries()
	if err != nil {
		return nil, err
	}
	return append(d, r...), nil
}
