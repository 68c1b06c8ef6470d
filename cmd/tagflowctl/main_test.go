package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

func TestStatus(t *testing.T) {
	f := setup(t, queue.Annotator)
	f.publishCreated(t, "doc-1", "doc-2", "doc-3")
	st := f.settledStatus(t, 3)
	if st.Stream.Msgs != 3 {
		t.Fatalf("stream holds %d messages, want 3", st.Stream.Msgs)
	}

	wantTable := strings.Join([]string{
		"STREAM  MESSAGES  BYTES  FIRST SEQ  LAST SEQ",
		fmt.Sprintf("TAGTOG  3         %-5d  1          3", st.Stream.Bytes),
		"",
		"CONSUMER   PENDING  ACK PENDING  REDELIVERED  WAITING  LAG",
		"annotator  3        0            0            0        3",
		"exporter   not created",
		"",
		"DEAD LETTERS (TAGTOG_DLQ): 0",
		"",
	}, "\n")
	for _, args := range [][]string{{"status"}, {"-timeout", "5s", "status"}, {"status", "-stream=TAGTOG"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := mustCLI(t, 0, f.env(), args...)
			if r.stdout != wantTable {
				t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, wantTable)
			}
			if r.stderr != "" {
				t.Errorf("stderr: %q", r.stderr)
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		for _, args := range [][]string{{"status", "-json"}, {"-json", "status"}} {
			r := mustCLI(t, 0, f.env(), args...)
			var got statusReport
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("%q: %v\n%s", args, err, r.stdout)
			}
			want := statusReport{
				Stream: streamReport{Name: "TAGTOG", Messages: 3, Bytes: st.Stream.Bytes, FirstSeq: 1, LastSeq: 3},
				Consumers: []consumerReport{
					{Name: "annotator", Exists: true, Pending: 3, Lag: 3},
					{Name: "exporter"},
				},
				DLQ: streamReport{Name: "TAGTOG_DLQ"},
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("%q:\n got %+v\nwant %+v", args, got, want)
			}
		}
	})

	t.Run("ack pending counts in lag", func(t *testing.T) {
		// One event is delivered and left unacknowledged (the handler
		// blocks until the consumer stops): pending 2, ack pending 1, lag 3.
		h := func(ctx context.Context, _ *queue.Delivery) queue.Outcome {
			<-ctx.Done()
			return queue.Retry(ctx.Err(), 0)
		}
		f.consume(t, h, func() bool {
			c := consumerStatus(t, f.status(t), "annotator")
			if c.AckPending != 1 || c.Pending != 2 {
				return false
			}
			r := mustCLI(t, 0, f.env(), "status", "-json")
			var got statusReport
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatal(err)
			}
			a := got.Consumers[0]
			if a.Name != "annotator" || a.Pending != 2 || a.AckPending != 1 || a.Lag != 3 {
				t.Errorf("annotator %+v, want pending 2, ack pending 1, lag 3", a)
			}
			return true
		})
	})
}

func TestStatusStreamMissing(t *testing.T) {
	// A JetStream server without tagflow's streams.
	r := mustCLI(t, 1, map[string]string{"NATS_URL": natstest.Start(t).ClientURL()}, "status")
	want := "tagflowctl status: queue: not found: stream TAGTOG: "
	if !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "ingest and worker create the streams") {
		t.Errorf("stderr %q, want prefix %q and a hint", r.stderr, want)
	}
}

func TestUnreachableNATS(t *testing.T) {
	addr := closedPort(t)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"status flag", []string{"status", "-timeout", "300ms", "-nats-url", "nats://admin:hunter22@" + addr}, nil},
		{"dlq list env", []string{"dlq", "list"}, map[string]string{"NATS_URL": "nats://admin:hunter22@" + addr, "TAGFLOW_CTL_TIMEOUT": "300ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCLI(t, 1, tc.env, tc.args...)
			want := fmt.Sprintf("NATS unreachable at nats://redacted@%s (no connection within 300ms; check -nats-url or NATS_URL)\n", addr)
			if !strings.HasSuffix(r.stderr, want) {
				t.Errorf("stderr %q, want suffix %q", r.stderr, want)
			}
			if strings.Contains(r.stderr+r.stdout, "hunter22") || strings.Contains(r.stderr+r.stdout, "admin") {
				t.Errorf("credentials leaked: %q", r.stderr)
			}
		})
	}
}

func TestDLQListShow(t *testing.T) {
	f := setup(t, queue.Annotator)
	envs := f.deadLetter(t, 3)

	t.Run("list", func(t *testing.T) {
		r := mustCLI(t, 0, f.env(), "dlq", "list")
		want := strings.Join([]string{
			"SEQ  TIME                  CONSUMER   REASON     STATUS  DELIVERIES  DOCUMENT",
			"1    2024-05-06T07:08:09Z  annotator  not_found  404     1           acme/ner-demo/doc-1",
			"2    2024-05-06T07:08:09Z  annotator  not_found  404     1           acme/ner-demo/doc-2",
			"3    2024-05-06T07:08:09Z  annotator  not_found  404     1           acme/ner-demo/doc-3",
			"",
		}, "\n")
		if r.stdout != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
		}
	})

	t.Run("list json", func(t *testing.T) {
		r := mustCLI(t, 0, f.env(), "dlq", "list", "-json")
		var got []letterReport
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if len(got) != 3 {
			t.Fatalf("%d letters, want 3", len(got))
		}
		for i, l := range got {
			if l.Seq != uint64(i+1) || l.Reason != "not_found" || l.Status != 404 || l.Deliveries != 1 ||
				l.Consumer != "annotator" || l.Owner != testOwner || l.Envelope != nil || !l.Time.Equal(testNow) {
				t.Errorf("letter %d: %+v", i, l)
			}
		}
	})

	t.Run("show", func(t *testing.T) {
		e := envs[1] // one handler at a time: dead letters are in publishing order
		want := strings.Join([]string{
			"Sequence:                 2",
			"Tagflow-Time:             2024-05-06T07:08:09Z",
			"Tagflow-Consumer:         annotator",
			"Tagflow-Reason:           not_found",
			"Tagflow-Status:           404",
			"Tagflow-Deliveries:       1",
			"Tagflow-Original-Subject: tagtog.events.created.acme.ner-demo",
			"Tagflow-Error:            tagtog: plain_html: document not found",
			"Tagflow-Event-Id:         " + e.ID,
			"Document:                 acme/ner-demo/" + e.DocID,
			"Envelope:",
			"{",
			`  "v": 1,`,
			`  "id": "` + e.ID + `",`,
			`  "received_at": "2024-05-06T07:08:09Z",`,
			`  "owner": "acme",`,
			`  "project": "ner-demo",`,
			`  "doc_id": "` + e.DocID + `",`,
			`  "member": "master",`,
			`  "source": "GUI",`,
			`  "status": "created",`,
			`  "format": "tagtogID"`,
			"}",
			"",
		}, "\n")
		for _, args := range [][]string{{"dlq", "show", "2"}, {"dlq", "show", "-timeout=5s", "2"}, {"-stream", "TAGTOG", "dlq", "show", "2"}} {
			r := mustCLI(t, 0, f.env(), args...)
			if r.stdout != want {
				t.Errorf("%q stdout:\n%s\nwant:\n%s", args, r.stdout, want)
			}
		}
	})

	t.Run("show json", func(t *testing.T) {
		r := mustCLI(t, 0, f.env(), "dlq", "show", "1", "-json")
		var got letterReport
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		env, err := event.Unmarshal(got.Envelope)
		if err != nil {
			t.Fatalf("envelope: %v", err)
		}
		if got.Seq != 1 || env.DocID != got.DocID || got.Subject != "tagtog.events.created.acme.ner-demo" {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("show missing", func(t *testing.T) {
		r := mustCLI(t, 1, f.env(), "dlq", "show", "99")
		if want := "tagflowctl dlq show: no dead letter with sequence 99\n"; r.stderr != want {
			t.Errorf("stderr %q, want %q", r.stderr, want)
		}
		if r.stdout != "" {
			t.Errorf("stdout %q", r.stdout)
		}
	})
}

func TestDLQListEmpty(t *testing.T) {
	f := setup(t, queue.Annotator)
	r := mustCLI(t, 0, f.env(), "dlq", "list")
	if want := "no dead letters in TAGTOG_DLQ\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	r = mustCLI(t, 0, f.env(), "dlq", "list", "-json")
	if want := "[]\n"; r.stdout != want {
		t.Errorf("json stdout %q, want %q", r.stdout, want)
	}
}

func TestDLQRedrive(t *testing.T) {
	f := setup(t, queue.Annotator)
	f.deadLetter(t, 3)
	docOf := func(seq uint64) string {
		m, err := f.c.GetDLQ(testCtx(t), seq)
		if err != nil {
			t.Fatal(err)
		}
		return m.Envelope.DocID
	}
	check := func(t *testing.T, dlq, stream, pending uint64) {
		t.Helper()
		st := f.settledStatus(t, pending)
		a := consumerStatus(t, st, "annotator")
		if st.DLQ.Msgs != dlq || st.Stream.Msgs != stream || a.Pending != pending || a.AckPending != 0 {
			t.Errorf("dlq %d, stream %d, annotator pending %d ack pending %d; want %d, %d, %d, 0",
				st.DLQ.Msgs, st.Stream.Msgs, a.Pending, a.AckPending, dlq, stream, pending)
		}
	}
	check(t, 3, 3, 0)

	t.Run("by id", func(t *testing.T) {
		doc := docOf(1)
		r := mustCLI(t, 0, f.env(), "dlq", "redrive", "1")
		want := "redriven 1: acme/ner-demo/" + doc + " (consumer annotator, reason not_found) -> tagtog.events.created.acme.ner-demo\n" +
			"redriven 1 of 1 dead letters\n"
		if r.stdout != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
		}
		check(t, 2, 4, 1)
	})

	t.Run("missing id keeps going", func(t *testing.T) {
		doc := docOf(2)
		r := mustCLI(t, 1, f.env(), "dlq", "redrive", "99", "2", "1")
		want := "redriven 2: acme/ner-demo/" + doc + " (consumer annotator, reason not_found) -> tagtog.events.created.acme.ner-demo\n" +
			"redriven 1 of 3 dead letters\n"
		if r.stdout != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
		}
		wantErr := "failed 99: no dead letter with sequence 99\nfailed 1: no dead letter with sequence 1\n"
		if r.stderr != wantErr {
			t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, wantErr)
		}
		check(t, 1, 5, 2)
	})

	t.Run("all with another reason", func(t *testing.T) {
		r := mustCLI(t, 0, f.env(), "dlq", "redrive", "--all", "--reason", "max_deliver")
		if want := "redriven 0 of 0 dead letters\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
		check(t, 1, 5, 2)
	})

	t.Run("all", func(t *testing.T) {
		r := mustCLI(t, 0, f.env(), "dlq", "redrive", "-all", "-reason=not_found")
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "redriven 3: acme/ner-demo/doc-") ||
			lines[1] != "redriven 1 of 1 dead letters" {
			t.Errorf("stdout:\n%s", r.stdout)
		}
		check(t, 0, 6, 3)
		r = mustCLI(t, 0, f.env(), "dlq", "redrive", "-all")
		if want := "redriven 0 of 0 dead letters\n"; r.stdout != want {
			t.Errorf("second run stdout %q, want %q", r.stdout, want)
		}
	})

	t.Run("redriven events are delivered again", func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		var redelivered int
		f.consume(t, func(_ context.Context, d *queue.Delivery) queue.Outcome {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, d.Envelope.DocID)
			if d.NumDelivered != 1 {
				redelivered++
			}
			return queue.Ack()
		}, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 3
		})
		slices.Sort(got)
		if !slices.Equal(got, []string{"doc-1", "doc-2", "doc-3"}) || redelivered != 0 {
			t.Errorf("delivered %q, %d with a delivery count above 1", got, redelivered)
		}
		check(t, 0, 6, 0)
	})
}

func TestBackfill(t *testing.T) {
	f := setup(t, queue.Annotator)
	tt := newTagtog(t)
	want := map[string]bool{}
	for i := range 120 {
		id, err := tt.emu.ImportText(testOwner, testProject, fmt.Sprintf("doc-%03d", i), fmt.Sprintf("Text number %d.", i), emulator.SourceAPI)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = true
	}
	pwFile := filepath.Join(t.TempDir(), "tagtog-password")
	if err := os.WriteFile(pwFile, []byte(botPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := f.env()
	env["TAGTOG_URL"] = tt.ts.URL
	env["TAGTOG_USERNAME"] = botUser
	env["TAGTOG_PASSWORD_FILE"] = pwFile
	args := []string{"backfill", "-owner", testOwner, "-project", testProject}

	t.Run("dry run", func(t *testing.T) {
		dry := map[string]string{"NATS_URL": "nats://" + closedPort(t), "TAGTOG_URL": tt.ts.URL,
			"TAGTOG_USERNAME": botUser, "TAGTOG_PASSWORD": botPass}
		r := mustCLI(t, 0, dry, append(args, "-dry-run")...)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != 121 || lines[120] != "120 documents: dry run, nothing published" {
			t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
		}
		if id, name, _ := strings.Cut(lines[0], "\t"); !want[id] || name != "doc-000.txt" {
			t.Errorf("first line %q", lines[0])
		}
		if got := tt.searches.Swap(0); got != 3 {
			t.Errorf("%d search requests, want 3", got)
		}
		if st := f.status(t); st.Stream.Msgs != 0 {
			t.Errorf("dry run published %d events", st.Stream.Msgs)
		}
	})

	t.Run("first run publishes every document", func(t *testing.T) {
		r := mustCLI(t, 0, env, args...)
		if want := "120 documents: 120 published, 0 duplicates\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q (stderr %q)", r.stdout, want, r.stderr)
		}
		if got := tt.searches.Swap(0); got != 3 {
			t.Errorf("%d search requests, want 3", got)
		}
		st := f.settledStatus(t, 120)
		if a := consumerStatus(t, st, "annotator"); st.Stream.Msgs != 120 || a.Pending != 120 {
			t.Errorf("stream %d messages, annotator pending %d; want 120, 120", st.Stream.Msgs, a.Pending)
		}
	})

	t.Run("second run is deduplicated", func(t *testing.T) {
		r := mustCLI(t, 0, env, append([]string{"-query", "*"}, args...)...)
		if want := "120 documents: 0 published, 120 duplicates\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
		if st := f.status(t); st.Stream.Msgs != 120 {
			t.Errorf("stream %d messages, want 120", st.Stream.Msgs)
		}
	})

	t.Run("events", func(t *testing.T) {
		var mu sync.Mutex
		got := map[string]int{}
		var bad []string
		f.consume(t, func(_ context.Context, d *queue.Delivery) queue.Outcome {
			mu.Lock()
			defer mu.Unlock()
			e := d.Envelope
			got[e.DocID]++
			if e.Owner != testOwner || e.Project != testProject || e.Status != event.StatusCreated ||
				e.Source != event.SourceAPI || e.Member != event.MemberMaster {
				bad = append(bad, fmt.Sprintf("%+v", e))
			}
			return queue.Ack()
		}, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 120
		})
		for id := range want {
			if got[id] != 1 {
				t.Errorf("document %s: %d events, want 1", id, got[id])
			}
		}
		if len(bad) > 0 {
			t.Errorf("unexpected envelopes: %v", bad)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		bad := map[string]string{"NATS_URL": f.srv.ClientURL(), "TAGTOG_URL": tt.ts.URL,
			"TAGTOG_USERNAME": botUser, "TAGTOG_PASSWORD": "not-the-password"}
		r := mustCLI(t, 1, bad, args...)
		if !strings.Contains(r.stderr, "list documents of acme/ner-demo") || !strings.Contains(r.stderr, "401") {
			t.Errorf("stderr %q", r.stderr)
		}
		if strings.Contains(r.stderr+r.stdout, "not-the-password") {
			t.Errorf("password leaked: %q", r.stderr)
		}
		if want := "stopped: 0 published, 0 duplicates\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
	})

	t.Run("unknown project", func(t *testing.T) {
		r := mustCLI(t, 1, env, "backfill", "-owner", testOwner, "-project", "nope")
		if !strings.Contains(r.stderr, "list documents of acme/nope") {
			t.Errorf("stderr %q", r.stderr)
		}
	})
}

func TestUsage(t *testing.T) {
	env := map[string]string{"NATS_URL": "nats://" + closedPort(t)}
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stderr string // substring of stderr
		stdout string // substring of stdout
	}{
		{name: "no command", code: 2, stderr: "tagflowctl: missing command"},
		{name: "unknown command", args: []string{"stats"}, code: 2, stderr: `unknown command "stats"`},
		{name: "unknown flag", args: []string{"status", "-bogus"}, code: 2, stderr: "flag provided but not defined: -bogus"},
		{name: "flag of another command", args: []string{"status", "-owner", "x"}, code: 2, stderr: "flag provided but not defined: -owner"},
		{name: "bad duration", args: []string{"status", "-timeout", "soon"}, code: 2, stderr: `invalid value "soon" for flag -timeout`},
		{name: "bad env duration", args: []string{"status"}, env: map[string]string{"TAGFLOW_CTL_TIMEOUT": "soon"}, code: 2, stderr: "TAGFLOW_CTL_TIMEOUT"},
		{name: "zero timeout", args: []string{"status", "-timeout", "0s"}, code: 2, stderr: "-timeout must be positive"},
		{name: "status operand", args: []string{"status", "extra"}, code: 2, stderr: "unexpected arguments: extra"},
		{name: "dlq alone", args: []string{"dlq"}, code: 2, stderr: "missing command (list, show or redrive)"},
		{name: "dlq unknown", args: []string{"dlq", "purge"}, code: 2, stderr: `unknown command "dlq purge"`},
		{name: "show without seq", args: []string{"dlq", "show"}, code: 2, stderr: "want exactly one dead-letter sequence number"},
		{name: "show two seqs", args: []string{"dlq", "show", "1", "2"}, code: 2, stderr: "want exactly one"},
		{name: "show bad seq", args: []string{"dlq", "show", "abc"}, code: 2, stderr: `"abc" is not a dead-letter sequence number`},
		{name: "show zero seq", args: []string{"dlq", "show", "0"}, code: 2, stderr: `"0" is not a dead-letter sequence number`},
		{name: "redrive nothing", args: []string{"dlq", "redrive"}, code: 2, stderr: "nothing to redrive: give sequence numbers or -all"},
		{name: "redrive ids and all", args: []string{"dlq", "redrive", "-all", "3"}, code: 2, stderr: "not both"},
		{name: "redrive reason without all", args: []string{"dlq", "redrive", "3", "-reason", "x"}, code: 2, stderr: "-reason needs -all"},
		{name: "redrive bad seq", args: []string{"dlq", "redrive", "1", "x"}, code: 2, stderr: `"x" is not`},
		{name: "backfill no owner", args: []string{"backfill", "-project", "p"}, code: 2, stderr: "-owner and -project are required"},
		{name: "backfill empty query", args: []string{"backfill", "-owner", "o", "-project", "p", "-query", ""}, code: 2, stderr: "-query must not be empty"},
		{name: "backfill bad tagtog url", args: []string{"backfill", "-owner", "o", "-project", "p", "-tagtog-url", ""}, code: 2, stderr: "BaseURL is required"},
		{name: "help", args: []string{"-h"}, code: 0, stdout: "Usage: tagflowctl <command>"},
		{name: "help command", args: []string{"help"}, code: 0, stdout: "dlq redrive"},
		{name: "help status", args: []string{"help", "status"}, code: 0, stdout: "lag = pending + ack pending"},
		{name: "status -h", args: []string{"status", "-h"}, code: 0, stdout: "-nats-url"},
		{name: "dlq -h", args: []string{"dlq", "-h"}, code: 0, stdout: "Usage: tagflowctl dlq <command>"},
		{name: "dlq list -h", args: []string{"dlq", "list", "-h"}, code: 0, stdout: "-json"},
		{name: "dlq show -h", args: []string{"-h", "dlq", "show"}, code: 0, stdout: "Usage: tagflowctl dlq show [flags] SEQ"},
		{name: "dlq redrive -help", args: []string{"dlq", "redrive", "--help"}, code: 0, stdout: "-reason"},
		{name: "backfill -h", args: []string{"backfill", "-h"}, code: 0, stdout: "duplicate window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env
			if tc.env != nil {
				e = tc.env
			}
			r := cli(t, e, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tc.stdout)
			}
			if tc.code == 0 && r.stderr != "" {
				t.Errorf("help wrote to stderr: %q", r.stderr)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	kind := func(n string) (bool, bool) {
		switch n {
		case "json", "all", "h":
			return true, true
		case "nats-url", "reason":
			return true, false
		}
		return false, false
	}
	for _, tc := range []struct {
		name         string
		args         []string
		flags, words []string
	}{
		{"before", []string{"-nats-url", "nats://x", "-json", "status"}, []string{"-nats-url", "nats://x", "-json"}, []string{"status"}},
		{"after", []string{"dlq", "redrive", "1", "--reason", "r", "2"}, []string{"--reason", "r"}, []string{"dlq", "redrive", "1", "2"}},
		{"equals", []string{"-nats-url=nats://x", "status"}, []string{"-nats-url=nats://x"}, []string{"status"}},
		{"bool with value", []string{"-json=true", "status"}, []string{"-json=true"}, []string{"status"}},
		{"unknown takes no value", []string{"-x", "status"}, []string{"-x"}, []string{"status"}},
		{"double dash", []string{"dlq", "show", "--", "-1"}, nil, []string{"dlq", "show", "-1"}},
		{"lone dash is a word", []string{"-"}, nil, []string{"-"}},
		{"missing value", []string{"status", "-nats-url"}, []string{"-nats-url"}, []string{"status"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flags, words := splitArgs(tc.args, kind)
			if !slices.Equal(flags, tc.flags) || !slices.Equal(words, tc.words) {
				t.Errorf("splitArgs(%q) = %q, %q; want %q, %q", tc.args, flags, words, tc.flags, tc.words)
			}
		})
	}
}

func TestTruncateClean(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"acme/ner/doc", 12, "acme/ner/doc"},
		{"acme/ner/doc1", 12, "acme/ner/do…"},
		{"äöüäöü", 4, "äöü…"},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	if got, want := clean("a\tb\nc\x1b[31m\xff"), "a b c [31m\uFFFD"; got != want {
		t.Errorf("clean = %q, want %q", got, want)
	}
}
