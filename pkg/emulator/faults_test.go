package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/emulator"
)

// codes sends n sequential GETs of u and returns the status codes.
func codes(tb testing.TB, u string, n int) []int {
	tb.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = get(tb, u).code
	}
	return out
}

func count(codes []int, code int) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

func TestFaultRatesSeeded(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	id, _ := e.importMemo(t)
	getURL := e.docURL("ids", id, "output", "plain.html")
	legendURL := e.url("/-api/settings/v1/annotationsLegend")
	f := emulator.Faults{ErrorRate: map[emulator.Op]float64{emulator.OpGet: 0.25}, LatencySpikeRate: 0.1, Seed: 42}
	if err := e.srv.SetFaults(f); err != nil {
		t.Fatal(err)
	}
	const n = 400
	first := codes(t, getURL, n)
	// The numbers are fixed by the seed: same seed, same requests, same faults.
	const wantErrors, wantSpikes = 114, 49
	if got := count(first, 503); got != wantErrors || count(first, 200) != n-wantErrors {
		t.Fatalf("503s %d, want %d", got, wantErrors)
	}
	st := e.srv.Stats().Faults
	if st != (emulator.FaultStats{Errors: wantErrors, Spikes: wantSpikes}) {
		t.Fatalf("fault stats %+v", st)
	}
	if err := e.srv.SetFaults(f); err != nil { // reseeds
		t.Fatal(err)
	}
	second := codes(t, getURL, n)
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("request %d: %d then %d with the same seed", i, first[i], second[i])
		}
	}
	// Other operations are not affected by the get error rate.
	if got := count(codes(t, legendURL, 50), 200); got != 50 {
		t.Fatalf("legend 200s %d, want 50", got)
	}
	r := get(t, getURL)
	for r.code != 503 {
		r = get(t, getURL)
	}
	if r.body != "injected failure\n" || r.header.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Fatalf("injected error %q %q", r.body, r.header.Get("Content-Type"))
	}
}

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		name   string
		faults emulator.Faults
		code   int
		body   string
		header [2]string
	}{
		{"rate limit", emulator.Faults{RateLimitRate: 1, RetryAfter: 7}, 429, "too many requests (injected)\n", [2]string{"Retry-After", "7"}},
		{"rate limit default retry-after", emulator.Faults{RateLimitRate: 1}, 429, "too many requests (injected)\n", [2]string{"Retry-After", "1"}},
		{"error status", emulator.Faults{ErrorRate: map[emulator.Op]float64{emulator.OpSearch: 1}, ErrorStatus: 500}, 500, "injected failure\n", [2]string{}},
		{"other op unaffected", emulator.Faults{ErrorRate: map[emulator.Op]float64{emulator.OpPush: 1}}, 200, "", [2]string{}},
		{"latency only", emulator.Faults{Latency: 1, LatencyJitter: 2}, 200, "", [2]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{Faults: tc.faults})
			r := get(t, e.docURL("search", "*"))
			if r.code != tc.code || (tc.body != "" && r.body != tc.body) {
				t.Fatalf("got %d %q", r.code, r.body)
			}
			if tc.header[0] != "" && r.header.Get(tc.header[0]) != tc.header[1] {
				t.Fatalf("%s = %q", tc.header[0], r.header.Get(tc.header[0]))
			}
		})
	}
}

func TestFaultDropConnection(t *testing.T) {
	e := newEnv(t, emulator.Config{Faults: emulator.Faults{DropRate: 1}})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest(http.MethodGet, e.url("/-api/settings/v1/annotationsLegend"), nil)
	req.SetBasicAuth(botUser, botPass)
	res, err := client.Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("got a response %d, want a dropped connection", res.StatusCode)
	}
	if st := e.srv.Stats().Faults; st != (emulator.FaultStats{Dropped: 1}) {
		t.Fatalf("fault stats %+v", st)
	}
	// Admin endpoints are never faulted.
	if r := get(t, e.ts.URL+"/-emulator/healthz"); r.code != 200 || r.body != "ok\n" {
		t.Fatalf("healthz %d %q", r.code, r.body)
	}
}

func TestFaultsAdminEndpoint(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	set := func(body string) resp {
		return do(t, http.MethodPost, e.ts.URL+"/-emulator/faults", strings.NewReader(body), "application/json", false)
	}
	r := set(`{"error_rate":{"legend":1},"error_status":502,"latency":"1ms","latency_jitter":2,"seed":7}`)
	want := `{"latency":"1ms","latency_jitter":"2ms","error_rate":{"legend":1},"error_status":502,"seed":7}`
	if r.code != 200 || r.body != want {
		t.Fatalf("set faults %d %q, want %q", r.code, r.body, want)
	}
	if r := do(t, http.MethodGet, e.ts.URL+"/-emulator/faults", nil, "", false); r.body != want {
		t.Fatalf("get faults %q", r.body)
	}
	if r := get(t, e.url("/-api/settings/v1/annotationsLegend")); r.code != 502 {
		t.Fatalf("legend %d", r.code)
	}
	bad := []struct{ name, body, msg string }{
		{"unknown op", `{"error_rate":{"export":1}}`, "decode faults: faults: unknown operation \"export\" in error_rate\n"},
		{"rate above one", `{"drop_rate":2}`, "faults: drop_rate 2 outside [0,1]\n"},
		{"bad duration", `{"latency":"soon"}`, "decode faults: faults: latency: time: invalid duration \"soon\"\n"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if r := set(tc.body); r.code != 400 || r.body != tc.msg {
				t.Fatalf("%d %q, want %q", r.code, r.body, tc.msg)
			}
		})
	}
	if r := set(`{}`); r.code != 200 || r.body != "{}" {
		t.Fatalf("clear faults %d %q", r.code, r.body)
	}
	if r := get(t, e.url("/-api/settings/v1/annotationsLegend")); r.code != 200 {
		t.Fatalf("legend after clearing %d", r.code)
	}
}

func TestAdminAuthAndStats(t *testing.T) {
	e := newEnv(t, emulator.Config{AdminUser: "root", AdminPassword: "toor"})
	if r := do(t, http.MethodGet, e.ts.URL+"/-emulator/stats", nil, "", false); r.code != 401 {
		t.Fatalf("stats without admin auth %d", r.code)
	}
	e.importMemo(t)
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/-emulator/stats", nil)
	req.SetBasicAuth("root", "toor")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st emulator.Stats
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil || res.StatusCode != 200 {
		t.Fatalf("%d %v", res.StatusCode, err)
	}
	if st.Documents != 1 || st.Imports != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestParseErrorRates(t *testing.T) {
	tests := []struct {
		in      string
		want    map[emulator.Op]float64
		wantErr bool
	}{
		{"", map[emulator.Op]float64{}, false},
		{"get=0.1, push=0.5", map[emulator.Op]float64{"get": 0.1, "push": 0.5}, false},
		{"*=0.2", map[emulator.Op]float64{"legend": 0.2, "get": 0.2, "search": 0.2, "push": 0.2, "import": 0.2, "delete": 0.2}, false},
		{"get", nil, true},
		{"get=2", nil, true},
		{"export=0.1", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := emulator.ParseErrorRates(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if !tc.wantErr && !equalJSON(t, got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
