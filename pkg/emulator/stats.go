package emulator

import (
	"maps"
	"sync"
)

// Reasons for rejected pushes, the keys of Stats.Rejected.
const (
	RejectUnpaired   = "unpaired"    // a content file without its ann.json or the reverse
	RejectFormat     = "format"      // missing, unknown or unsupported format
	RejectPlainHTML  = "plain_html"  // pushed plain.html is not a tagtog document
	RejectAnnJSON    = "ann_json"    // ann.json does not decode
	RejectOffsets    = "offsets"     // an entity's offsets do not match the part text
	RejectTooLarge   = "too_large"   // a file over MaxUploadBytes
	RejectBadRequest = "bad_request" // anything else malformed
)

// Stats are counters since the server started.
type Stats struct {
	Documents int `json:"documents"` // documents stored now, all projects
	Imports   int `json:"imports"`   // documents created by imports (text, files, pushes that created)
	Pushes    int `json:"pushes"`    // pre-annotated pairs accepted (updated or created)
	// PushesCreated counts pushed pairs that matched no existing document and
	// were imported as new documents (the runaway case of notes §9.2).
	PushesCreated int            `json:"pushes_created"`
	Rejected      map[string]int `json:"rejected"` // rejected uploads by reason
	Deleted       int            `json:"deleted"`
	GUISaves      int            `json:"gui_saves"`
	Webhooks      WebhookStats   `json:"webhooks"`
	Faults        FaultStats     `json:"faults"`
}

type counters struct {
	mu            sync.Mutex
	imports       int
	pushes        int
	pushesCreated int
	rejected      map[string]int
	deleted       int
	guiSaves      int
	hooks         WebhookStats
}

func (c *counters) add(f func(*counters)) {
	c.mu.Lock()
	f(c)
	c.mu.Unlock()
}

func (s *Server) reject(reason string) {
	s.stats.add(func(c *counters) { c.rejected[reason]++ })
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	var st Stats
	s.stats.add(func(c *counters) {
		st = Stats{
			Imports: c.imports, Pushes: c.pushes, PushesCreated: c.pushesCreated,
			Rejected: maps.Clone(c.rejected), Deleted: c.deleted, GUISaves: c.guiSaves, Webhooks: c.hooks,
		}
	})
	s.faults.mu.Lock()
	st.Faults = s.faults.stats
	s.faults.mu.Unlock()
	s.mu.RLock()
	ps := make([]*project, 0, len(s.projects))
	for _, p := range s.projects {
		ps = append(ps, p)
	}
	s.mu.RUnlock()
	for _, p := range ps {
		p.mu.RLock()
		st.Documents += len(p.docs)
		p.mu.RUnlock()
	}
	return st
}
