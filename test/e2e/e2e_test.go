// Package e2e runs tagflow's main job end to end in one process, with real
// components (see internal/stacktest): an in-process JetStream server, the
// tagtog emulator behind an HTTP server, the webhook handler publishing to
// JetStream, and a consumer running the annotation pipeline with the builtin model.
package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/internal/stacktest"
	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/emulator"
)

const owner, project = stacktest.Owner, stacktest.Project

// words for generated news-like documents; every document names one person,
// one organisation and one amount, at known places.
var (
	people = []string{"Daniel Schulman", "Mary Jones", "Tony Blair", "Angela Merkel", "Tim Cook"}
	orgs   = []string{"Paypal Holdings Inc", "Bank of England", "Goldman Sachs", "Microsoft Corp", "Acme Holdings Inc"}
	money  = []string{"$2.7 million", "£1.2bn", "€300m", "$45 billion", "£600,000"}
)

func generated(i int) (text, person, org, amount string) {
	person, org, amount = people[i%len(people)], orgs[(i/5)%len(orgs)], money[(i/25)%len(money)]
	text = fmt.Sprintf("Report %d.\nShares of %s rose on Monday after %s said profits reached %s in the quarter.\n"+
		"Analysts expect more news next week.", i, org, person, amount)
	return text, person, org, amount
}

// TestBulkImportAnnotatesEveryDocumentOnce imports 60 generated documents
// through the emulator's API (each import fires a created webhook) and checks
// that every document was pushed exactly once with the expected entities.
func TestBulkImportAnnotatesEveryDocumentOnce(t *testing.T) {
	const n = 60
	s := stacktest.Start(t, stacktest.Options{Concurrency: 8})
	ctx := context.Background()
	ids := make([]string, n)
	for i := 0; i < n; i++ {
		text, _, _, _ := generated(i)
		id, err := s.Client.ImportText(ctx, owner, project, fmt.Sprintf("report-%03d.txt", i), text)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	// Each import fires a created webhook; each push fires an updated one
	// (the webhook is not GUI-only), which is stored but never annotated.
	st := s.WaitDrained(t, 2*n)
	if st.DLQ.Msgs != 0 {
		t.Errorf("dead letters: %d, want 0", st.DLQ.Msgs)
	}
	stats := s.Emu.Stats()
	if stats.Pushes != n || stats.PushesCreated != 0 || len(stats.Rejected) != 0 {
		t.Errorf("emulator pushes %d (created %d, rejected %v), want %d, 0, none", stats.Pushes, stats.PushesCreated, stats.Rejected, n)
	}
	for i, id := range ids {
		text, person, org, amount := generated(i)
		d, err := s.Emu.Document(owner, project, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Pushes != 1 {
			t.Errorf("document %d pushed %d times, want 1", i, d.Pushes)
		}
		a, err := anndoc.DecodeAnnJSON(d.AnnJSON[emulator.Master])
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"e_1|" + person: "", "e_2|" + org: "", "e_3|" + amount: "",
		}
		got := map[string]string{}
		for _, e := range a.Entities {
			got[e.ClassID+"|"+e.Offsets[0].Text] = ""
			if wantStart := strings.Index(text, e.Offsets[0].Text); e.Offsets[0].Start != wantStart {
				t.Errorf("document %d: %s at %d, want %d", i, e.Offsets[0].Text, e.Offsets[0].Start, wantStart)
			}
		}
		if len(got) != 3 || len(a.Entities) != 3 {
			t.Errorf("document %d: entities %v, want exactly %v", i, got, want)
			continue
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("document %d: missing %s in %v", i, k, got)
			}
		}
	}
}

// TestDuplicateWebhookStoredOnce: the same created webhook delivered twice is
// one stored event and one push; a created and an updated webhook for the
// same document are two events, and the updated one is never annotated.
func TestDuplicateWebhookStoredOnce(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{Concurrency: 2})
	id, err := s.Emu.ImportText(owner, project, "dup.txt", "Tony Blair met Bank of England officials.", emulator.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	// The import fired one created webhook; fire it twice more.
	for i := 0; i < 2; i++ {
		if err := s.Emu.FireCreated(owner, project, id); err != nil {
			t.Fatal(err)
		}
	}
	// 3 created deliveries + 1 updated (the push).
	st := s.WaitDrained(t, 4)
	if st.Stream.Msgs != 2 {
		t.Errorf("stream holds %d events, want 2 (one created, one updated)", st.Stream.Msgs)
	}
	d, _ := s.Emu.Document(owner, project, id)
	if d.Pushes != 1 {
		t.Errorf("pushes %d, want 1", d.Pushes)
	}
}
