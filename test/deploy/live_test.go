package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// The live check evaluates every dashboard and rule expression on a
// Prometheus that scrapes a running stack (scripts/check-deploy.sh starts one
// with deployments/prometheus/prometheus.local.yml). Panel queries must
// return at least one series; rule expressions must evaluate without error
// (an alert's expression is empty while nothing is wrong).
//
//	TAGFLOW_LIVE=1                 enables it
//	TAGFLOW_PROMETHEUS_URL         default http://127.0.0.1:19090
//	TAGFLOW_LIVE_TIMEOUT           how long each query may take to return series, default 2m
//	TAGFLOW_LIVE_NATS=1            a prometheus-nats-exporter runs: the NATS dashboard is required
//	                               (without it, that dashboard is checked only if job "nats" is up)

// natsBoard is the dashboard that needs prometheus-nats-exporter.
const natsBoard = "tagflow-nats-jetstream"

// natsSkip is the reason NATS dashboard checks are skipped.
const natsSkip = "no prometheus-nats-exporter scraped (job nats is not up); " +
	"scripts/check-deploy.sh starts one when TAGFLOW_NATS_EXPORTER names its binary"

type promResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

type promClient struct {
	base string
	http *http.Client
}

// get calls a Prometheus API path and decodes data into v.
func (c *promClient) get(ctx context.Context, path string, params url.Values, v any) error {
	u := c.base + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	var pr promResponse
	if err := json.Unmarshal(b, &pr); err != nil {
		return fmt.Errorf("%s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	if pr.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, pr.ErrorType, pr.Error)
	}
	return json.Unmarshal(pr.Data, v)
}

// query evaluates expr at the current time and returns the number of series.
func (c *promClient) query(ctx context.Context, expr string) (int, error) {
	var data struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	}
	if err := c.get(ctx, "/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return 0, err
	}
	if data.ResultType == "scalar" || data.ResultType == "string" {
		return 1, nil
	}
	return len(data.Result), nil
}

// poll calls f every interval until it reports done, returns an error, or
// the deadline passes.
func poll(ctx context.Context, timeout time.Duration, f func(context.Context) (bool, error)) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		done, err := f(ctx)
		if done || err != nil {
			return done, err
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-tick.C:
		}
	}
}

func liveClient(tb testing.TB) (*promClient, time.Duration) {
	tb.Helper()
	if os.Getenv("TAGFLOW_LIVE") != "1" {
		tb.Skip("live check: set TAGFLOW_LIVE=1 with a running stack (scripts/check-deploy.sh)")
	}
	base := os.Getenv("TAGFLOW_PROMETHEUS_URL")
	if base == "" {
		base = "http://127.0.0.1:19090"
	}
	timeout := 2 * time.Minute
	if s := os.Getenv("TAGFLOW_LIVE_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			tb.Fatalf("TAGFLOW_LIVE_TIMEOUT: %v", err)
		}
		timeout = d
	}
	return &promClient{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 10 * time.Second}}, timeout
}

// natsScraped reports whether Prometheus scrapes a prometheus-nats-exporter.
// With TAGFLOW_LIVE_NATS=1 it waits for the "nats" job to come up and fails
// the test if it does not.
func natsScraped(t *testing.T, c *promClient, timeout time.Duration) bool {
	t.Helper()
	const expr = `up{job="nats"} == 1`
	if os.Getenv("TAGFLOW_LIVE_NATS") != "1" {
		n, err := c.query(t.Context(), expr)
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	ok, err := poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
		n, err := c.query(ctx, expr)
		return n > 0, err
	})
	if err != nil || !ok {
		t.Fatalf("TAGFLOW_LIVE_NATS=1 but job nats not up within %v (err %v)", timeout, err)
	}
	return true
}

func TestLiveTargetsUp(t *testing.T) {
	c, timeout := liveClient(t)
	for _, job := range []string{"tagflow-ingest", "tagflow-worker"} {
		expr := fmt.Sprintf(`up{job=%q} == 1`, job)
		ok, err := poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
			n, err := c.query(ctx, expr)
			return n > 0, err
		})
		if err != nil || !ok {
			t.Errorf("no %s target up within %v (err %v)", job, timeout, err)
		}
	}
}

func TestLiveRulesHealthy(t *testing.T) {
	c, timeout := liveClient(t)
	type rule struct {
		Name      string `json:"name"`
		Health    string `json:"health"`
		LastError string `json:"lastError"`
	}
	var bad []string
	ok, err := poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
		var data struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []rule `json:"rules"`
			} `json:"groups"`
		}
		if err := c.get(ctx, "/api/v1/rules", nil, &data); err != nil {
			return false, err
		}
		bad = bad[:0]
		n := 0
		for _, g := range data.Groups {
			for _, r := range g.Rules {
				n++
				if r.Health != "ok" {
					bad = append(bad, fmt.Sprintf("%s/%s: %s %s", g.Name, r.Name, r.Health, r.LastError))
				}
			}
		}
		if n == 0 {
			return false, fmt.Errorf("Prometheus has loaded no rules")
		}
		return len(bad) == 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("rules not healthy within %v: %v", timeout, bad)
	}
}

func TestLiveQueries(t *testing.T) {
	c, timeout := liveClient(t)
	qs, err := AllQueries()
	if err != nil {
		t.Fatal(err)
	}
	natsUp := natsScraped(t, c, timeout)
	for _, q := range qs {
		t.Run(q.Source, func(t *testing.T) {
			t.Parallel()
			if q.Board == natsBoard && !natsUp {
				t.Skip(natsSkip)
			}
			expr := Substitute(q.Expr)
			if !q.Panel {
				if _, err := c.query(t.Context(), expr); err != nil {
					t.Errorf("%q: %v", expr, err)
				}
				return
			}
			ok, err := poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
				n, err := c.query(ctx, expr)
				return n > 0, err
			})
			if err != nil {
				t.Errorf("%q: %v", expr, err)
			} else if !ok {
				t.Errorf("%q returned no series within %v", expr, timeout)
			}
		})
	}
}

// TestLiveVariables checks that every label_values template variable has
// values, so that a dashboard's variable dropdowns (and the panels filtered
// by them) are not empty.
func TestLiveVariables(t *testing.T) {
	c, timeout := liveClient(t)
	vs, err := VarQueries()
	if err != nil {
		t.Fatal(err)
	}
	natsUp := natsScraped(t, c, timeout)
	for _, v := range vs {
		t.Run(v.Source, func(t *testing.T) {
			t.Parallel()
			if v.Board == natsBoard && !natsUp {
				t.Skip(natsSkip)
			}
			path := "/api/v1/label/" + url.PathEscape(v.Label) + "/values"
			var values []string
			ok, err := poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
				err := c.get(ctx, path, url.Values{"match[]": {v.Match}}, &values)
				return len(values) > 0, err
			})
			if err != nil {
				t.Errorf("label_values(%s, %s): %v", v.Match, v.Label, err)
			} else if !ok {
				t.Errorf("label_values(%s, %s) returned no values within %v", v.Match, v.Label, timeout)
			}
		})
	}
}
